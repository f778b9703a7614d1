import { describe, expect, it } from 'vitest';
import { checkReadiness } from './health.ts';

describe('checkReadiness', () => {
  it('is ready when every check answers', async () => {
    const result = await checkReadiness(
      [
        { name: 'a', check: () => Promise.resolve() },
        { name: 'b', check: () => Promise.resolve() },
      ],
      1000,
    );
    expect(result.status).toBe('ready');
    expect(result.checks.map((c) => [c.name, c.status])).toEqual([
      ['a', 'up'],
      ['b', 'up'],
    ]);
  });

  it('names the check that failed or did not answer in time', async () => {
    const result = await checkReadiness(
      [
        { name: 'ok', check: () => Promise.resolve() },
        { name: 'broken', check: () => Promise.reject(new Error('connection refused\nstack')) },
        { name: 'hung', check: () => new Promise<void>(() => undefined) },
      ],
      50,
    );
    expect(result.status).toBe('unavailable');
    expect(result.checks).toEqual([
      expect.objectContaining({ name: 'ok', status: 'up' }),
      expect.objectContaining({ name: 'broken', status: 'down', error: 'connection refused' }),
      expect.objectContaining({ name: 'hung', status: 'down', error: 'no answer within 50 ms' }),
    ]);
  });
});
