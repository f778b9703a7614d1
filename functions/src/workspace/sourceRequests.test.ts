import { describe, expect, it } from 'vitest';
import { HttpError } from '../lib/http.ts';
import { sourceStartAt } from './sourceRequests.ts';

const now = new Date('2026-12-04T12:00:00.000Z');

describe('sourceStartAt', () => {
  it.each([
    ['no startTime: 24 hours back', undefined, '2026-12-03T12:00:00.000Z'],
    ['a startTime in UTC', '2026-12-01T00:00:00Z', '2026-12-01T00:00:00.000Z'],
    ['a startTime with an offset', '2026-12-01T02:00:00+02:00', '2026-12-01T00:00:00.000Z'],
    ['a startTime of now', '2026-12-04T12:00:00Z', '2026-12-04T12:00:00.000Z'],
    ['a startTime 180 days back', '2026-06-07T12:00:00Z', '2026-06-07T12:00:00.000Z'],
  ])('%s', (_, startTime, expected) => {
    expect(sourceStartAt(startTime, now).toISOString()).toBe(expected);
  });

  it.each([
    ['in the future', '2026-12-04T12:00:01Z', 'must not be in the future'],
    ['beyond the retention', '2026-06-07T11:59:59Z', 'must be within the last 180 days'],
  ])('refuses a startTime %s, naming it', (_, startTime, message) => {
    let refused: unknown;
    try {
      sourceStartAt(startTime, now);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(HttpError);
    expect((refused as HttpError).fields).toEqual([{ field: 'startTime', message }]);
  });
});
