import { describe, expect, it } from 'vitest';
import { isEventId, parseEnvelope, type EventEnvelope } from './eventEnvelope.ts';

const envelope: EventEnvelope = {
  eventId: '6bfc3e31-f253-494d-af62-2f662f29cb3d',
  eventType: 'page.viewed',
  payload: {},
  occurredAt: '2026-01-02T03:00:00.000Z',
  receivedAt: '2026-01-02T03:04:00.000Z',
  source: 'api',
  producer: 'key_1',
};

describe('event envelope', () => {
  it('reads an envelope kept as text', () => {
    expect(parseEnvelope(JSON.stringify(envelope))).toEqual(envelope);
  });

  it.each([
    ['text that is not JSON', 'nope'],
    ['an envelope without eventId', JSON.stringify({ ...envelope, eventId: undefined })],
    ['an empty text', ''],
  ])('reads nothing from %s', (_, text) => {
    expect(parseEnvelope(text)).toBeUndefined();
  });

  it.each([
    [envelope.eventId, true],
    ['../../x', false],
    [42, false],
  ])('tells whether %j is an event id', (value, expected) => {
    expect(isEventId(value)).toBe(expected);
  });
});
