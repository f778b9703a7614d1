import { createHmac } from 'node:crypto';

/** What identifies a visitor without cookies, on one site, for one day's salt. */
export type VisitorTraits = {
  /** The event's site, or the key's id when the event names none. */
  site: string;
  /** The client address as ingest sees it (the last X-Forwarded-For entry). */
  address: string;
  /** The request's User-Agent header, as sent. */
  userAgent: string;
};

/**
 * The id of a visitor counted without cookies: HMAC-SHA256 keyed by the day's secret
 * salt over site, address and user agent, 128 bits of it. The same visitor gets the same
 * id all day on one site; without the salt, destroyed after 48 hours, no one (Tributary
 * included) can tell which address an id came from, nor link two days of one visitor.
 */
export function cookielessVisitorId(salt: Buffer, traits: VisitorTraits): string {
  // A JSON array keeps the fields apart whatever characters they hold.
  const fields = JSON.stringify([traits.site, traits.address, traits.userAgent]);
  const mac = createHmac('sha256', salt).update(fields).digest();
  return `vis_${mac.subarray(0, 16).toString('base64url')}`;
}
