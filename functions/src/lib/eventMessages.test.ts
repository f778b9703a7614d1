import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { EventEnvelope, ProcessedEvent } from './eventEnvelope.ts';
import {
  decodeEventMessage,
  decodeProcessedMessage,
  eventCount,
  eventMessage,
  eventMessages,
  packByLimits,
} from './eventMessages.ts';

function envelope(overrides: Partial<EventEnvelope> = {}): EventEnvelope {
  return {
    eventId: randomUUID(),
    eventType: 'page.viewed',
    payload: { title: 'Home' },
    occurredAt: '2026-01-02T03:00:00.000Z',
    receivedAt: '2026-01-02T03:04:00.000Z',
    source: 'api',
    producer: 'key_1',
    ...overrides,
  };
}

/** A number stands for an event of that many bytes. */
const size = (n: number) => n;

describe('packByLimits', () => {
  it.each([
    ['nothing', [], { maxEvents: 3, maxBytes: 10 }, []],
    ['under both limits', [1, 2, 3], { maxEvents: 3, maxBytes: 10 }, [[1, 2, 3]]],
    ['by count', [1, 1, 1, 1, 1], { maxEvents: 2, maxBytes: 100 }, [[1, 1], [1, 1], [1]]],
    ['by bytes', [4, 4, 4], { maxEvents: 10, maxBytes: 8 }, [[4, 4], [4]]],
    ['exactly at the byte limit', [5, 5], { maxEvents: 10, maxBytes: 10 }, [[5, 5]]],
    [
      'an item larger than the limit alone',
      [2, 20, 2],
      { maxEvents: 10, maxBytes: 8 },
      [[2], [20], [2]],
    ],
  ])('%s', (_, items, limits, groups) => {
    expect(packByLimits(items, size, limits)).toEqual(groups);
  });
});

describe('messages of many events', () => {
  const limits = { maxEvents: 500, maxBytes: 1_000_000 };

  it('makes a single event a message of one', () => {
    const one = envelope();
    const [packed] = eventMessages([one], limits);
    expect(packed!.message.attributes).toEqual({ events: '1' });
    expect(JSON.parse(packed!.message.data.toString())).toEqual({ events: [one] });
    expect(eventMessage(one)).toEqual(packed!.message);
    expect(decodeEventMessage(packed!.message.data, packed!.message.attributes)).toEqual([
      { ok: true, value: one },
    ]);
  });

  it('round-trips many events in order, with their count as an attribute', () => {
    const events = Array.from({ length: 7 }, (_, i) => envelope({ payload: { i } }));
    const packed = eventMessages(events, { maxEvents: 3, maxBytes: 1_000_000 });
    expect(packed.map((p) => p.events.length)).toEqual([3, 3, 1]);
    expect(packed.map((p) => eventCount(p.message.attributes))).toEqual([3, 3, 1]);
    const decoded = packed.flatMap((p) => decodeEventMessage(p.message.data, p.message.attributes));
    expect(decoded).toEqual(events.map((e) => ({ ok: true, value: e })));
  });

  it('splits by bytes, never beyond the limit but for one large event', () => {
    const events = Array.from({ length: 10 }, () => envelope({ payload: { x: 'y'.repeat(300) } }));
    for (const { message, events: carried } of eventMessages(events, {
      maxEvents: 500,
      maxBytes: 1_000,
    })) {
      expect(carried.length === 1 || message.data.length <= 1_000 + 20).toBe(true);
    }
  });

  it('decodes each event of a batch on its own: one invalid never hides the others', () => {
    const good = envelope();
    const badId = randomUUID();
    const data = Buffer.from(
      JSON.stringify({ events: [good, { eventId: badId, eventType: 'Bad Type' }, 42] }),
    );
    const decoded = decodeEventMessage(data, { events: '3' });
    expect(decoded[0]).toEqual({ ok: true, value: good });
    expect(decoded[1]).toMatchObject({
      ok: false,
      eventId: badId,
      reason: expect.stringContaining('1'),
      text: JSON.stringify({ eventId: badId, eventType: 'Bad Type' }),
    });
    expect(decoded[2]).toMatchObject({ ok: false, eventId: undefined, text: '42' });
  });

  it.each([
    ['data that is not JSON', 'nope', 'not JSON'],
    ['no events array', '{"events":{}}', 'no events array'],
    ['an empty events array', '{"events":[]}', 'no events array'],
  ])('reports a message with %s as one failure, its data kept', (_, data, reason) => {
    expect(decodeEventMessage(Buffer.from(data), { events: '2' })).toEqual([
      { ok: false, eventId: undefined, reason: expect.stringContaining(reason), text: data },
    ]);
  });

  it('packs processed events alike', () => {
    const events: ProcessedEvent[] = [1, 2].map(() => ({
      ...envelope(),
      processedAt: '2026-01-02T03:04:01.000Z',
    }));
    const many = eventMessages(events, limits);
    expect(many).toHaveLength(1);
    expect(decodeProcessedMessage(many[0]!.message.data, many[0]!.message.attributes)).toEqual(
      events.map((event) => ({ ok: true, value: event })),
    );
  });

  it.each([
    [undefined, 1],
    [{}, 1],
    [{ events: '12' }, 12],
    [{ events: 'x' }, 1],
    [{ events: '0' }, 1],
  ])('counts the events of %j as %i', (attributes, count) => {
    expect(eventCount(attributes)).toBe(count);
  });
});

/** A message as published before every message carried `{"events":[…]}`. */
const legacy = (event: object, eventId: string) => ({
  data: Buffer.from(JSON.stringify(event)),
  attributes: { eventId, eventType: 'page.viewed' } as Record<string, string>,
});

describe('messages of the earlier one-event format', () => {
  it('reads an event message as a message of one', () => {
    const one = envelope();
    const { data, attributes } = legacy(one, one.eventId);
    expect(decodeEventMessage(data, attributes)).toEqual([{ ok: true, value: one }]);
    expect(eventCount(attributes)).toBe(1);
  });

  it('reads a processed event message as a message of one', () => {
    const event: ProcessedEvent = { ...envelope(), processedAt: '2026-01-02T03:04:01.000Z' };
    const { data, attributes } = legacy(event, event.eventId);
    expect(decodeProcessedMessage(data, attributes)).toEqual([{ ok: true, value: event }]);
  });

  it.each([
    ['data that is not JSON', Buffer.from('nope'), 'not JSON'],
    ['an event that is not an envelope', Buffer.from('{"eventId":"x"}'), 'eventId'],
  ])('refuses %s, keeping the attributed id and the data as sent', (_, data, reason) => {
    const eventId = randomUUID();
    expect(decodeEventMessage(data, { eventId })).toEqual([
      {
        ok: false,
        eventId,
        reason: expect.stringContaining(reason),
        text: data.toString(),
      },
    ]);
  });

  it('ignores an attributed id that is not an event id', () => {
    expect(decodeEventMessage(Buffer.from('x'), { eventId: '../../x' })).toMatchObject([
      { ok: false, eventId: undefined },
    ]);
  });
});
