import { keyOfAuthorization } from '../authenticateKey.ts';

/**
 * Where a browser SDK puts its write key: the `Authorization` header (Bearer, or Basic
 * with the key as user name), `?writeKey=` in the query string, or a `writeKey` field of
 * the JSON body. The same key in several places is one key; different keys are refused,
 * never one picked over the other.
 */

export type WriteKeyPlace = 'Authorization' | 'query writeKey' | 'body writeKey';

export type WriteKeyReading =
  | { kind: 'found'; key: string; places: WriteKeyPlace[] }
  | { kind: 'none' }
  /** Sent, but not as a key: 401 naming where. */
  | { kind: 'unreadable'; place: WriteKeyPlace; message: string }
  /** Two different keys: 400 naming both places. */
  | { kind: 'conflict'; places: [WriteKeyPlace, WriteKeyPlace] };

export type WriteKeyInput = {
  authorization: string | undefined;
  /** `req.query.writeKey` as the query parser left it (a list when repeated). */
  query: unknown;
  body: unknown;
};

export function readWriteKey(input: WriteKeyInput): WriteKeyReading {
  const found: { place: WriteKeyPlace; key: string }[] = [];
  if (input.authorization !== undefined) {
    const key = keyOfAuthorization(input.authorization);
    if (key === undefined) {
      return {
        kind: 'unreadable',
        place: 'Authorization',
        message: 'must be Bearer <key>, or Basic with the key as user name',
      };
    }
    found.push({ place: 'Authorization', key });
  }
  if (input.query !== undefined) {
    if (typeof input.query !== 'string' || input.query === '') {
      return {
        kind: 'unreadable',
        place: 'query writeKey',
        message: 'must be given once, not empty',
      };
    }
    found.push({ place: 'query writeKey', key: input.query });
  }
  const bodyKey = isObject(input.body) ? input.body.writeKey : undefined;
  if (bodyKey !== undefined) {
    if (typeof bodyKey !== 'string' || bodyKey === '') {
      return { kind: 'unreadable', place: 'body writeKey', message: 'must be a non-empty string' };
    }
    found.push({ place: 'body writeKey', key: bodyKey });
  }
  const [first] = found;
  if (!first) return { kind: 'none' };
  const other = found.find(({ key }) => key !== first.key);
  if (other) return { kind: 'conflict', places: [first.place, other.place] };
  return { kind: 'found', key: first.key, places: found.map(({ place }) => place) };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
