import { describe, expect, it } from 'vitest';
import { eventsTable } from '../../../infra/spec.ts';
import type { ProcessedEvent } from '../lib/eventEnvelope.ts';
import { decodeProcessedMessage, eventMessage } from '../lib/eventMessages.ts';
import { rowProblem, toWarehouseRow } from './warehouseRow.ts';
import type { WarehouseRow } from './warehouse.ts';

const event: ProcessedEvent = {
  eventId: '6bfc3e31-f253-494d-af62-2f662f29cb3d',
  eventType: 'page.viewed',
  payload: { title: 'Home' },
  occurredAt: '2026-01-02T03:00:00.000Z',
  receivedAt: '2026-01-02T03:04:00.000Z',
  processedAt: '2026-01-02T03:04:01.000Z',
  source: 'api',
  producer: 'key_1',
  siteId: 'shop',
  path: '/',
};

const row: WarehouseRow = toWarehouseRow(event);

describe('a processed event as a row', () => {
  it('has one value per column of the spec', () => {
    const message = eventMessage(event);
    const [decoded] = decodeProcessedMessage(message.data, message.attributes);
    expect(decoded).toEqual({ ok: true, value: event });
    expect(Object.keys(row).sort()).toEqual(eventsTable.columns.map((c) => c.name).sort());
    expect(row).toMatchObject({
      event_id: event.eventId,
      site_id: 'shop',
      user_id: null,
      path: '/',
      occurred_at: new Date(event.occurredAt),
      payload: '{"title":"Home"}',
      metadata: null,
    });
  });

  it.each([
    ['data that is not JSON', Buffer.from('nope'), undefined, 'not JSON'],
    [
      'an event without processedAt',
      Buffer.from(JSON.stringify({ events: [{ ...event, processedAt: undefined }] })),
      event.eventId,
      'processedAt',
    ],
    [
      'a bad event type',
      Buffer.from(JSON.stringify({ events: [{ ...event, eventType: 'Bad' }] })),
      event.eventId,
      'eventType',
    ],
  ])('refuses %s with the reason, keeping the event id it names', (_, data, eventId, reason) => {
    const [decoded] = decodeProcessedMessage(data, { events: '1' });
    expect(decoded).toMatchObject({ ok: false, eventId });
    expect(decoded?.ok ? '' : decoded?.reason).toContain(reason);
  });
});

describe('rowProblem', () => {
  it('accepts a row that fits the table', () => {
    expect(rowProblem(row, eventsTable)).toBeUndefined();
  });

  it.each([
    ['a missing required column', { event_type: null }, 'event_type: required'],
    [
      'a timestamp that is not a date',
      { occurred_at: new Date('x') },
      'occurred_at: must be a timestamp',
    ],
    [
      'a timestamp out of range',
      { occurred_at: new Date(Date.UTC(10_000, 0, 1)) },
      'occurred_at: is out of range',
    ],
    ['JSON that does not parse', { payload: '{' }, 'payload: is not valid JSON'],
    ['a number in a text column', { site_id: 7 }, 'site_id: must be a string'],
    ['a column the table lacks', { extra: 'x' }, 'unknown column(s): extra'],
  ])('names %s', (_, change, reason) => {
    expect(rowProblem({ ...row, ...change } as unknown as WarehouseRow, eventsTable)).toBe(reason);
  });
});
