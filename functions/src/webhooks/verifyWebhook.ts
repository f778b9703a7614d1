import { timingSafeEqual } from 'node:crypto';
import { signature } from './signWebhook.ts';

export type VerifyResult = { ok: true } | { ok: false; reason: string };

/**
 * What a receiver does with a request from Tributary (docs/webhooks.md shows the same in a
 * few lines): check the timestamp is recent, recompute the signature over the raw
 * body, and compare in constant time against each signature sent.
 */
export function verifyWebhook(input: {
  /** The raw request body, exactly as received (not re-serialized JSON). */
  body: string;
  headers: Record<string, string | string[] | undefined>;
  secret: string;
  /** Seconds either way that the timestamp may differ from `now`; 5 minutes by default. */
  toleranceSeconds?: number;
  now?: Date;
}): VerifyResult {
  const id = single(input.headers['webhook-id']);
  const timestampText = single(input.headers['webhook-timestamp']);
  const signatures = single(input.headers['webhook-signature']);
  if (!id || !timestampText || !signatures) return { ok: false, reason: 'missing headers' };
  if (!/^\d{1,15}$/.test(timestampText)) return { ok: false, reason: 'invalid timestamp' };
  const timestamp = Number(timestampText);
  const now = Math.floor((input.now ?? new Date()).getTime() / 1000);
  if (Math.abs(now - timestamp) > (input.toleranceSeconds ?? 300)) {
    return { ok: false, reason: 'timestamp outside the tolerance' };
  }
  const expected = Buffer.from(signature(input.secret, id, timestamp, input.body));
  for (const candidate of signatures.split(' ')) {
    const sent = Buffer.from(candidate);
    if (sent.length === expected.length && timingSafeEqual(sent, expected)) return { ok: true };
  }
  return { ok: false, reason: 'no matching signature' };
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
