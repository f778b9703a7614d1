import type { Request } from '@google-cloud/functions-framework';
import { bearerToken, HttpError } from '../lib/http.ts';
import type { ApiKey, ApiKeyAuthenticator } from './apiKeys.ts';

/** The active API key of a request: 401 without one or with an unknown or revoked one. */
export async function authenticateApiKey(
  req: Request,
  authenticator: ApiKeyAuthenticator,
  retryAfterSeconds: number,
): Promise<ApiKey> {
  const token = bearerToken(req);
  if (!token) {
    throw new HttpError(401, 'unauthenticated', 'Send an API key as Authorization: Bearer <key>.', {
      headers: { 'WWW-Authenticate': 'Bearer' },
    });
  }
  let key: ApiKey | undefined;
  try {
    key = await authenticator.authenticate(token);
  } catch {
    throw new HttpError(503, 'unavailable', 'The key store is unavailable.', {
      headers: { 'Retry-After': String(retryAfterSeconds) },
    });
  }
  if (!key) {
    throw new HttpError(401, 'unauthenticated', 'The API key is unknown or revoked.', {
      headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
    });
  }
  return key;
}
