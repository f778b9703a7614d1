import { describe, expect, it } from 'vitest';
import { decodeEnvelope, encodeEnvelope, type EventEnvelope } from './eventEnvelope.ts';

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
  it('round-trips through a Pub/Sub message', () => {
    const message = encodeEnvelope(envelope);
    expect(message.attributes).toEqual({ eventId: envelope.eventId, eventType: 'page.viewed' });
    expect(decodeEnvelope(message.data, message.attributes)).toEqual({ ok: true, envelope });
  });

  it.each([
    ['data that is not JSON', Buffer.from('nope'), 'not JSON'],
    [
      'an envelope without eventId',
      Buffer.from(JSON.stringify({ ...envelope, eventId: undefined })),
      'eventId',
    ],
  ])('reports %s, keeping the attributed id', (_, data, reason) => {
    const decoded = decodeEnvelope(data, { eventId: envelope.eventId });
    expect(decoded).toMatchObject({
      ok: false,
      eventId: envelope.eventId,
      reason: expect.stringContaining(reason),
    });
  });

  it('ignores an attributed id that is not a UUID', () => {
    expect(decodeEnvelope(Buffer.from('x'), { eventId: '../../x' })).toMatchObject({
      ok: false,
      eventId: undefined,
    });
  });
});
