import { describe, expect, it } from 'vitest';
import { eventInputSchema, validateEventInput } from '../ingest/eventInput.ts';
import { parseHeader, rowToRawEvent, type Header } from './csvRows.ts';

function header(names: string[]): Header {
  const parsed = parseHeader(names);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.header;
}

describe('parseHeader', () => {
  it.each([
    ['no eventType column', ['payload'], 'eventType'],
    ['an unknown column', ['eventType', 'colour'], 'colour'],
    ['a column twice', ['eventType', 'siteId', 'siteId'], 'siteId'],
    ['payload as JSON and as members', ['eventType', 'payload', 'payload.a'], 'payload'],
  ])('refuses %s, naming it', (_, names, field) => {
    const parsed = parseHeader(names);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? [] : parsed.errors.map((e) => e.field)).toContain(field);
  });

  it('accepts every documented column, trimmed', () => {
    expect(
      parseHeader([' eventType', 'occurredAt', 'siteId', 'userId', 'path', 'payload', 'metadata.x'])
        .ok,
    ).toBe(true);
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
    });
    expect(result.ok && validate(result.raw).ok).toBe(true);
  });

  it('parses payload and metadata JSON text; an absent payload is {}', () => {
    expect(
      rowToRawEvent(header(['eventType', 'payload', 'metadata']), ['a.b', '{"n":1}', '{"m":true}']),
    ).toEqual({ ok: true, raw: { eventType: 'a.b', payload: { n: 1 }, metadata: { m: true } } });
    expect(rowToRawEvent(header(['eventType']), ['a.b'])).toEqual({
      ok: true,
      raw: { eventType: 'a.b', payload: {} },
    });
  });

  it.each([
    ['a payload that is not JSON', ['eventType', 'payload'], ['a.b', '{oops'], 'payload'],
    ['a payload that is an array', ['eventType', 'payload'], ['a.b', '[1]'], 'payload'],
    ['a short row', ['eventType', 'siteId'], ['a.b'], '(row)'],
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
});
