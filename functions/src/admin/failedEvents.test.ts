import { describe, expect, it } from 'vitest';
import { HttpError } from '../lib/http.ts';
import { decodeCursor, encodeCursor, failedListQuerySchema, toFilter } from './failedEvents.ts';

describe('cursors', () => {
  it('round-trip and are opaque base64url', () => {
    const cursor = { failedAt: new Date('2026-01-02T03:04:05.678Z'), eventId: 'abc-123' };
    const text = encodeCursor(cursor);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(text)).toEqual(cursor);
  });

  it.each([
    '',
    'bm9wZQ',
    Buffer.from('[1]').toString('base64url'),
    Buffer.from('["x","y"]').toString('base64url'),
  ])('refuses %j with a 400 naming the cursor', (text) => {
    expect(() => decodeCursor(text)).toThrow(HttpError);
  });
});

describe('the failed-events query', () => {
  it('defaults to unprocessed statuses and a page of 50', () => {
    const query = failedListQuerySchema.parse({});
    expect(query.limit).toBe(50);
    expect(toFilter(query, ['FAILED', 'DEAD_LETTER', 'QUEUED'])).toEqual({
      statuses: ['FAILED', 'DEAD_LETTER', 'QUEUED'],
    });
  });

  it('reads comma-separated statuses in any case, without repeats', () => {
    const query = failedListQuerySchema.parse({ status: 'dead_letter,FAILED,failed' });
    expect(toFilter(query, []).statuses).toEqual(['DEAD_LETTER', 'FAILED']);
  });

  it('refuses an empty time range', () => {
    expect(() =>
      toFilter({ from: new Date('2026-01-02'), to: new Date('2026-01-01') }, ['FAILED']),
    ).toThrow(/empty/);
  });
});
