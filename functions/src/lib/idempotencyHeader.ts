import type { Request } from '@google-cloud/functions-framework';
import { HttpError } from './http.ts';

/**
 * The idempotency key of a request. `Idempotency-Key` (the IETF draft's name) and
 * `X-Idempotency-Key` (what many clients still send) are one header: either is read,
 * both with the same value are one key, and two different values are refused rather
 * than one of them silently winning.
 */

const headerNames = ['Idempotency-Key', 'X-Idempotency-Key'] as const;
export const maxIdempotencyKeyLength = 255;

export function idempotencyKeyOf(req: Request): string | undefined {
  const sent = sentIdempotencyHeaders(req);
  const [first, second] = sent;
  if (!first) return undefined;
  if (second && second.value !== first.value) {
    throw new HttpError(
      400,
      'conflicting_idempotency_keys',
      'Idempotency-Key and X-Idempotency-Key are the same header; they were sent with different values.',
      {
        fields: sent.map(({ name }) => ({
          field: name,
          message: 'differs from the other idempotency header',
        })),
      },
    );
  }
  if (first.value.length === 0 || first.value.length > maxIdempotencyKeyLength) {
    throw new HttpError(
      400,
      'invalid_idempotency_key',
      `${first.name} must be 1 to ${maxIdempotencyKeyLength} characters.`,
      {
        fields: [
          { field: first.name, message: `must be 1 to ${maxIdempotencyKeyLength} characters` },
        ],
      },
    );
  }
  return first.value;
}

/**
 * On a route that takes no idempotency key, one sent is refused: ignoring it would let
 * a producer believe its retries are safe when they are not.
 */
export function refuseIdempotencyHeader(req: Request, hint: string | undefined): void {
  const [first] = sentIdempotencyHeaders(req);
  if (!first) return;
  const message = `This route takes no ${first.name}.${hint ? ` ${hint}` : ''}`;
  throw new HttpError(400, 'idempotency_key_not_taken', message, {
    fields: [{ field: first.name, message: 'not taken by this route' }],
  });
}

/** Refuses an idempotency header the matched route does not take. */
export function admitIdempotencyHeader(
  req: Request,
  route: { takesIdempotencyKey?: boolean; idempotencyHint?: string },
): void {
  if (!route.takesIdempotencyKey) refuseIdempotencyHeader(req, route.idempotencyHint);
}

function sentIdempotencyHeaders(req: Request): { name: string; value: string }[] {
  const sent: { name: string; value: string }[] = [];
  for (const name of headerNames) {
    const value = req.headers[name.toLowerCase()];
    if (value === undefined) continue;
    sent.push({ name, value: Array.isArray(value) ? value.join(', ') : value });
  }
  return sent;
}
