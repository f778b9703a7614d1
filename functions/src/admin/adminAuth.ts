import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from '@google-cloud/functions-framework';
import { bearerToken, HttpError } from '../lib/http.ts';

/** Refuses the request unless it carries the admin token. */
export function requireAdmin(req: Request, adminToken: string | undefined): void {
  const token = bearerToken(req);
  if (!adminToken || !token || !constantTimeEqual(token, adminToken)) {
    throw new HttpError(
      401,
      'unauthenticated',
      'Send the admin token as Authorization: Bearer <token>.',
      {
        headers: { 'WWW-Authenticate': 'Bearer' },
      },
    );
  }
}

/** Compares digests, so neither the length nor the content of the token leaks through timing. */
export function constantTimeEqual(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
