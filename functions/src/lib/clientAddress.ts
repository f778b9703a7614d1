import type { Request } from '@google-cloud/functions-framework';
import ipaddr from 'ipaddr.js';

/**
 * The rate-limit bucket of a client address. An IPv6 client usually holds a whole /64
 * and can change addresses within it at will, so IPv6 addresses count by their /64;
 * IPv4 addresses (and IPv4-mapped IPv6 ones) by themselves.
 */
export function addressBucket(address: string): string {
  // Most callers are IPv4: no parse needed for them.
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(address)) return address;
  if (!ipaddr.isValid(address)) return address;
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const v6 = parsed as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
  const parts = v6.parts.slice(0, 4).map((part) => part.toString(16));
  return `${parts.join(':')}::/64`;
}

/**
 * The caller's address. Behind Google's front end the last X-Forwarded-For entry is the
 * one the front end appended (earlier entries are whatever the client sent).
 */
export function clientIp(req: Request): string {
  const forwarded = req.headers['x-forwarded-for'];
  const value = Array.isArray(forwarded) ? forwarded.join(',') : forwarded;
  const last = value
    ?.split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .at(-1);
  return last ?? req.socket.remoteAddress ?? 'unknown';
}

/** The rate-limit bucket of the caller: its address, an IPv6 one by its /64. */
export function clientAddressBucket(req: Request): string {
  return addressBucket(clientIp(req));
}
