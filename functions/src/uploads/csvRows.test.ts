import { describe, expect, it } from 'vitest';
import { eventInputSchema, validateEventInput } from '../ingest/eventInput.ts';
import { inFileTerms, parseHeader, rowToRawEvent, type Header } from './csvRows.ts';

function header(names: string[]): Header {
  const parsed = parseHeader(names);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.header;
}

describe('parseHeader', () => {
  it.each([
    ['no event type column', ['payload', 'note'], 'eventType'],
    ['a column twice', ['eventType', 'siteId', 'siteId'], 'siteId'],
    ['two spellings of one field', ['event_type', 'Event Type'], 'Event Type'],
    ['two names of the time', ['eventType', 'timestamp', 'occurred_at'], 'occurred_at'],
    ['a member and an extra column of one name', ['eventType', 'payload.note', 'note'], 'note'],
    [
      'event_id and Idempotency-Key',
      ['eventType', 'event_id', 'Idempotency-Key'],
      'Idempotency-Key',
    ],
  ])('refuses %s, naming it', (_, names, field) => {
    const parsed = parseHeader(names);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? [] : parsed.errors.map((e) => e.field)).toContain(field);
  });

  it.each([
    ['eventType', 'eventType'],
    ['event_type', 'eventType'],
    ['Event Type', 'eventType'],
    ['EVENT-TYPE', 'eventType'],
    [' eventtype ', 'eventType'],
    ['timestamp', 'occurredAt'],
    ['Time', 'occurredAt'],
    ['occurred_at', 'occurredAt'],
    ['user_id', 'userId'],
    ['User ID', 'userId'],
    ['site_id', 'siteId'],
    ['Path', 'path'],
    ['event_id', 'idempotencyKey'],
    ['Event ID', 'idempotencyKey'],
    ['Idempotency-Key', 'idempotencyKey'],
    ['payload', 'payload'],
    ['Metadata', 'metadata'],
    ['payload.title', 'payload.title'],
    ['Payload.Title', 'payload.Title'],
    ['metadata.source', 'metadata.source'],
    ['note', 'payload.note'],
    ['Score (%)', 'payload.Score (%)'],
    ['.hidden', 'payload..hidden'],
    ['', '(none)'],
  ])('reads the header %j as %s', (name, field) => {
    const names =
      name.trim() === 'eventtype' || field === 'eventType' ? [name] : ['eventType', name];
    const parsed = parseHeader(names);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    expect(parsed.header.readings.at(-1)).toEqual({ header: name.trim(), field });
  });
});

const validate = (raw: unknown) => validateEventInput(raw, eventInputSchema, 1_000_000);

describe('rowToRawEvent', () => {
  it('builds the payload from payload.<name> columns, leaving empty cells out', () => {
    const result = rowToRawEvent(header(['eventType', 'payload.title', 'payload.note', 'path']), [
      'page.viewed',
      'Home',
      '',
      '/',
    ]);
    expect(result).toEqual({
      ok: true,
      raw: { eventType: 'page.viewed', payload: { title: 'Home' }, path: '/' },
      idempotencyKey: undefined,
    });
    expect(result.ok && validate(result.raw).ok).toBe(true);
  });

  it('parses payload and metadata JSON text; an absent payload is {}', () => {
    expect(
      rowToRawEvent(header(['eventType', 'payload', 'metadata']), ['a.b', '{"n":1}', '{"m":true}']),
    ).toEqual({
      ok: true,
      raw: { eventType: 'a.b', payload: { n: 1 }, metadata: { m: true } },
      idempotencyKey: undefined,
    });
    expect(rowToRawEvent(header(['eventType']), ['a.b'])).toEqual({
      ok: true,
      raw: { eventType: 'a.b', payload: {} },
      idempotencyKey: undefined,
    });
  });

  it.each([
    ['a payload that is not JSON', ['eventType', 'payload'], ['a.b', '{oops'], 'payload'],
    ['a payload that is an array', ['eventType', 'payload'], ['a.b', '[1]'], 'payload'],
    ['a short row', ['eventType', 'siteId'], ['a.b'], '(row)'],
    ['a value under no header', ['eventType', ''], ['a.b', 'x'], '(column 2)'],
    [
      'a member the payload column also gives',
      ['eventType', 'note', 'payload'],
      ['a.b', 'x', '{"note":"y"}'],
      'note',
    ],
    [
      'an event_id over 255 characters',
      ['eventType', 'event_id'],
      ['a.b', 'k'.repeat(256)],
      'event_id',
    ],
  ])('reports %s', (_, names, cells, field) => {
    const result = rowToRawEvent(header(names), cells);
    expect(result.ok ? [] : result.errors.map((e) => e.field)).toEqual([field]);
  });

  it('leaves field validation to the event schema, which names the field', () => {
    const result = rowToRawEvent(header(['eventType', 'path']), ['Not A Type', 'home']);
    expect(result.ok).toBe(true);
    const validated = validate(result.ok ? result.raw : null);
    expect(validated.ok ? [] : validated.errors.map((e) => e.field).sort()).toEqual([
      'eventType',
      'path',
    ]);
  });

  it('reads an Event Metrics export: names mapped, event_id the key, extra columns in the payload as text', () => {
    const file = header(['event_id', 'event_type', 'timestamp', 'user_id', 'note', 'score']);
    const result = rowToRawEvent(file, [
      'e-1',
      'test_started',
      '2025-11-10T10:00:00Z',
      'u-1',
      'hi',
      '7',
    ]);
    expect(result).toEqual({
      ok: true,
      raw: {
        eventType: 'test_started',
        occurredAt: '2025-11-10T10:00:00Z',
        userId: 'u-1',
        payload: { note: 'hi', score: '7' },
      },
      idempotencyKey: 'e-1',
    });
    expect(result.ok && validate(result.raw).ok).toBe(true);
  });

  it('keeps an empty trailing column without a header when its cells are empty', () => {
    expect(rowToRawEvent(header(['eventType', '']), ['a.b', ''])).toMatchObject({ ok: true });
  });

  it('keeps a column named __proto__ as a payload key, never as a prototype', () => {
    const result = rowToRawEvent(header(['eventType', '__proto__']), ['a.b', 'x']);
    const payload = result.ok ? (result.raw.payload as Record<string, unknown>) : {};
    expect(Object.getPrototypeOf(payload)).toBe(Object.prototype);
    expect(Object.hasOwn(payload, '__proto__')).toBe(true);
    expect(JSON.stringify(payload)).toBe('{"__proto__":"x"}');
  });

  it('names an invalid field by the header it came from', () => {
    const file = header(['Event Type', 'timestamp']);
    const result = rowToRawEvent(file, ['page_view', 'yesterday']);
    const validated = validate(result.ok ? result.raw : null);
    const errors = validated.ok ? [] : inFileTerms(file, validated.errors);
    expect(errors.map((e) => e.field)).toEqual(['timestamp']);
  });
});
