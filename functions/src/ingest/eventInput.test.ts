import { describe, expect, it } from 'vitest';
import {
  batchItemSchema,
  canonicalJson,
  eventInputSchema,
  exceedsDepth,
  toEnvelope,
  validateEventInput,
} from './eventInput.ts';

const valid = { eventType: 'page.viewed', payload: { title: 'Home' } };
const validate = (raw: unknown, max = 1_000_000) => validateEventInput(raw, eventInputSchema, max);

describe('event input', () => {
  it.each([
    ['a minimal event', valid],
    [
      'every optional field',
      {
        ...valid,
        occurredAt: '2026-01-02T03:04:05+02:00',
        metadata: { a: 1 },
        siteId: 's',
        userId: 'u',
        path: '/x?y=1',
      },
    ],
    ['a three-segment type', { ...valid, eventType: 'workspace.login.login_success' }],
    ['a one-segment type', { ...valid, eventType: 'page_view' }],
    ['another one-segment type', { ...valid, eventType: 'test_started' }],
  ])('accepts %s', (_, event) => {
    expect(validate(event).ok).toBe(true);
  });

  it.each([
    ['a missing eventType', { payload: {} }, 'eventType'],
    ['an eventType with an empty segment', { ...valid, eventType: 'page..viewed' }, 'eventType'],
    ['an eventType ending in a dot', { ...valid, eventType: 'page.' }, 'eventType'],
    ['an uppercase eventType', { ...valid, eventType: 'Page.Viewed' }, 'eventType'],
    ['a 101-char eventType', { ...valid, eventType: `a.${'b'.repeat(99)}` }, 'eventType'],
    ['an array payload', { ...valid, payload: [] }, 'payload'],
    ['a missing payload', { eventType: 'a.b' }, 'payload'],
    ['a non-ISO occurredAt', { ...valid, occurredAt: '02/01/2026' }, 'occurredAt'],
    ['a path without a leading slash', { ...valid, path: 'home' }, 'path'],
    ['an unknown field', { ...valid, colour: 'red' }, '(root)'],
    ['a body that is not an object', 'text', '(root)'],
  ])('rejects %s, naming the field', (_, event, field) => {
    const result = validate(event);
    expect(result.ok).toBe(false);
    const fields = result.ok ? [] : result.errors.map((e) => e.field);
    expect(fields).toContain(field);
  });

  it('flags an event over the size limit as too large', () => {
    const result = validate({ ...valid, payload: { blob: 'x'.repeat(200) } }, 100);
    expect(result).toMatchObject({ ok: false, tooLarge: true });
  });

  it('refuses nesting deeper than the limit without recursing', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i += 1) deep = [deep];
    expect(exceedsDepth(deep, 32)).toBe(true);
    expect(exceedsDepth({ a: { b: [1, { c: 2 }] } }, 32)).toBe(false);
    expect(validate({ ...valid, payload: { deep } })).toMatchObject({ ok: false, tooLarge: false });
  });

  it('lets batch items carry an idempotency key', () => {
    expect(validateEventInput({ ...valid, idempotencyKey: 'k' }, batchItemSchema, 1000).ok).toBe(
      true,
    );
    expect(validate({ ...valid, idempotencyKey: 'k' }).ok).toBe(false);
  });
});

describe('canonicalJson', () => {
  it('is the same for the same value whatever the key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: null } })).toBe(
      canonicalJson({ a: { c: null, d: [1, { e: 3, f: 2 }] }, b: 1 }),
    );
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: '1' }));
  });
});

describe('toEnvelope', () => {
  const identity = {
    eventId: 'id',
    receivedAt: '2026-01-02T03:04:05.000Z',
    producer: 'key_1',
    source: 'api',
  };

  it('defaults occurredAt to the time of receipt and normalizes it to UTC', () => {
    expect(toEnvelope(valid, identity).occurredAt).toBe(identity.receivedAt);
    expect(
      toEnvelope({ ...valid, occurredAt: '2026-01-02T05:00:00+02:00' }, identity).occurredAt,
    ).toBe('2026-01-02T03:00:00.000Z');
  });
});
