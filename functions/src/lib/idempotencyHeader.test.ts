import type { Request } from '@google-cloud/functions-framework';
import { describe, expect, it } from 'vitest';
import { HttpError } from './http.ts';
import { admitIdempotencyHeader, idempotencyKeyOf } from './idempotencyHeader.ts';

function request(headers: Record<string, string>): Request {
  return { headers } as unknown as Request;
}

function refusal(run: () => unknown): HttpError | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  return undefined;
}

describe('idempotencyKeyOf', () => {
  it.each([
    ['no header', {}, undefined],
    ['Idempotency-Key', { 'idempotency-key': 'k-1' }, 'k-1'],
    ['X-Idempotency-Key', { 'x-idempotency-key': 'k-2' }, 'k-2'],
    ['both with one value', { 'idempotency-key': 'k-3', 'x-idempotency-key': 'k-3' }, 'k-3'],
    ['a 255-character key', { 'idempotency-key': 'k'.repeat(255) }, 'k'.repeat(255)],
  ])('reads %s', (_, headers, expected) => {
    expect(idempotencyKeyOf(request(headers))).toBe(expected);
  });

  it.each([
    [
      'both with different values',
      { 'idempotency-key': 'a', 'x-idempotency-key': 'b' },
      'conflicting_idempotency_keys',
      ['Idempotency-Key', 'X-Idempotency-Key'],
    ],
    ['an empty key', { 'x-idempotency-key': '' }, 'invalid_idempotency_key', ['X-Idempotency-Key']],
    [
      'a 256-character key',
      { 'idempotency-key': 'k'.repeat(256) },
      'invalid_idempotency_key',
      ['Idempotency-Key'],
    ],
  ])('refuses %s with 400 naming the header', (_, headers, code, fields) => {
    const error = refusal(() => idempotencyKeyOf(request(headers)));
    expect(error?.status).toBe(400);
    expect(error?.code).toBe(code);
    expect(error?.fields?.map((f) => f.field)).toEqual(fields);
  });
});

describe('admitIdempotencyHeader', () => {
  it.each([
    [
      'a route that takes it, with a key',
      { takesIdempotencyKey: true },
      { 'idempotency-key': 'k' },
    ],
    ['a route that does not take it, without a key', {}, {}],
  ])('lets through %s', (_, route, headers) => {
    expect(refusal(() => admitIdempotencyHeader(request(headers), route))).toBeUndefined();
  });

  it.each([
    ['Idempotency-Key', { 'idempotency-key': 'k' }],
    ['X-Idempotency-Key', { 'x-idempotency-key': 'k' }],
  ])('refuses %s on a route that takes none, with its hint', (name, headers) => {
    const error = refusal(() =>
      admitIdempotencyHeader(request(headers), { idempotencyHint: 'Give each item a key.' }),
    );
    expect(error?.status).toBe(400);
    expect(error?.code).toBe('idempotency_key_not_taken');
    expect(error?.message).toContain('Give each item a key.');
    expect(error?.fields).toEqual([{ field: name, message: 'not taken by this route' }]);
  });
});
