import type { Request } from '@google-cloud/functions-framework';
import { HttpError } from '../lib/http.ts';
import type { ApiKey, ApiKeyAuthenticator } from './apiKeys.ts';

/**
 * The active API key of a request: 401 without one or with an unknown or revoked one,
 * 503 when the key store cannot be read. Synchronous when the key is cached.
 */
export function authenticateApiKey(
  req: Request,
  authenticator: ApiKeyAuthenticator,
  retryAfterSeconds: number,
): ApiKey | Promise<ApiKey> {
  const header = req.headers.authorization;
  const token = header === undefined ? undefined : keyOfAuthorization(header);
  if (!token) {
    throw new HttpError(
      401,
      'unauthenticated',
      'Send an API key as Authorization: Bearer <key>, or as the user name of Basic authentication.',
      { headers: { 'WWW-Authenticate': challenge } },
    );
  }
  const found = authenticator.authenticate(token);
  if (found instanceof Promise) {
    return found.then(requireKey, () => {
      throw storeUnavailable(retryAfterSeconds);
    });
  }
  return requireKey(found);
}

/** The schemes a key may come by, for WWW-Authenticate. */
export const challenge = 'Bearer, Basic realm="tributary"';

/** `Bearer <key>`, or `Basic base64(key:)` as the SDKs send it (analytics SDKs send their write key as the user name with an empty password). */
export function keyOfAuthorization(header: string): string | undefined {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (bearer) return bearer[1];
  const basic = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!basic?.[1]) return undefined;
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  const userName = separator === -1 ? decoded : decoded.slice(0, separator);
  return userName === '' ? undefined : userName;
}

function requireKey(key: ApiKey | undefined): ApiKey {
  if (!key) {
    throw new HttpError(401, 'unauthenticated', 'The API key is unknown or revoked.', {
      headers: { 'WWW-Authenticate': 'Bearer error="invalid_token", Basic realm="tributary"' },
    });
  }
  // A browser key is public: it opens the routes web pages call, and nothing else.
  if (key.allowedOrigins) {
    throw new HttpError(
      403,
      'browser_key_not_allowed',
      'A browser key only sends tracking calls from its origins; use a server key for this route.',
    );
  }
  return key;
}

export function storeUnavailable(retryAfterSeconds: number): HttpError {
  return new HttpError(503, 'unavailable', 'The key store is unavailable.', {
    headers: { 'Retry-After': String(retryAfterSeconds) },
  });
}
