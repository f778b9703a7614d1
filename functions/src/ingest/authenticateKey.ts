import type { Request } from '@google-cloud/functions-framework';
import { bearerToken, HttpError } from '../lib/http.ts';
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
  const token = bearerToken(req);
  if (!token) {
    throw new HttpError(401, 'unauthenticated', 'Send an API key as Authorization: Bearer <key>.', {
      headers: { 'WWW-Authenticate': 'Bearer' },
    });
  }
  const found = authenticator.authenticate(token);
  if (found instanceof Promise) {
    return found.then(requireKey, () => {
      throw storeUnavailable(retryAfterSeconds);
    });
  }
  return requireKey(found);
}

function requireKey(key: ApiKey | undefined): ApiKey {
  if (!key) {
    throw new HttpError(401, 'unauthenticated', 'The API key is unknown or revoked.', {
      headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
    });
  }
  return key;
}

function storeUnavailable(retryAfterSeconds: number): HttpError {
  return new HttpError(503, 'unavailable', 'The key store is unavailable.', {
    headers: { 'Retry-After': String(retryAfterSeconds) },
  });
}
