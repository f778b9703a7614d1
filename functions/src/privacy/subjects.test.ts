import { describe, expect, it } from 'vitest';
import { SubjectHasher, subjectIdsOf } from './subjects.ts';

describe('subjects of an event', () => {
  it('are its userId and the anonymousId of its payload, once each', () => {
    expect(subjectIdsOf({ userId: 'u', payload: { anonymousId: 'a' } })).toEqual(['u', 'a']);
    expect(subjectIdsOf({ userId: 'a', payload: { anonymousId: 'a' } })).toEqual(['a']);
    expect(subjectIdsOf({ payload: { anonymousId: 42 } })).toEqual(['42']);
    expect(subjectIdsOf({ payload: { anonymousId: '' } })).toEqual([]);
    expect(subjectIdsOf({ payload: ['a'] })).toEqual([]);
  });

  it('are hashed under the key: another key gives other hashes, and no hash shows the id', () => {
    const one = new SubjectHasher(Buffer.alloc(32, 1));
    const two = new SubjectHasher(Buffer.alloc(32, 2));
    expect(one.hash('someone@example.com')).toBe(one.hash('someone@example.com'));
    expect(one.hash('someone@example.com')).not.toBe(two.hash('someone@example.com'));
    expect(one.hash('someone@example.com')).toMatch(/^[\w-]{32}$/);
    expect(one.ofEvent({ userId: 'u', payload: { anonymousId: 'a' } })).toEqual([
      one.hash('u'),
      one.hash('a'),
    ]);
  });
});
