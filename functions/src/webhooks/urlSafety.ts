import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Where an address points, for deciding whether we may send a webhook there. Only
 * `public` (global unicast) is allowed; `loopback` only when local development allows it.
 * Everything else can reach our own network or the metadata server.
 */
export type AddressClass =
  'public' | 'loopback' | 'private' | 'link_local' | 'metadata' | 'unspecified' | 'reserved';

export function classifyAddress(address: string): AddressClass {
  if (isIP(address) === 0) return 'reserved';
  // IPv4-mapped IPv6 (::ffff:10.0.0.1) is judged as the IPv4 address it carries.
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv4' && parsed.toString() === '169.254.169.254') return 'metadata';
  switch (parsed.range()) {
    case 'unicast':
      return 'public';
    case 'loopback':
      return 'loopback';
    case 'private':
    case 'uniqueLocal':
    case 'carrierGradeNat':
      return 'private';
    case 'linkLocal':
      return 'link_local';
    case 'unspecified':
      return 'unspecified';
    default:
      // multicast, broadcast, documentation, benchmarking, and the IPv6 ranges that
      // embed an IPv4 address (6to4, Teredo, NAT64) and could lead anywhere.
      return 'reserved';
  }
}

export type UrlPolicy = {
  /** Production: only https. */
  requireHttps: boolean;
  /** Local development: loopback receivers are allowed. */
  allowLoopback: boolean;
};

export function isAllowedAddress(address: string, policy: UrlPolicy): boolean {
  const kind = classifyAddress(address);
  return kind === 'public' || (kind === 'loopback' && policy.allowLoopback);
}

/** Host names that always mean the cloud metadata server. */
const metadataHosts = new Set(['metadata.google.internal', 'metadata', 'metadata.goog']);

export const maxUrlLength = 2048;

export type UrlCheck = { ok: true; url: URL } | { ok: false; message: string };

/** What can be said of a URL without resolving it. */
export function checkUrlShape(text: string, policy: UrlPolicy): UrlCheck {
  if (text.length > maxUrlLength) {
    return { ok: false, message: `must be at most ${maxUrlLength} characters` };
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, message: 'must be an absolute URL' };
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && !policy.requireHttps)) {
    return {
      ok: false,
      message: policy.requireHttps ? 'must use https' : 'must use http or https',
    };
  }
  if (url.username || url.password) {
    return { ok: false, message: 'must not carry credentials; authenticate with the signature' };
  }
  if (url.hash) return { ok: false, message: 'must not have a #fragment' };
  const host = hostOf(url);
  if (metadataHosts.has(host))
    return { ok: false, message: 'must not point at the metadata server' };
  if (isIP(host) !== 0 && !isAllowedAddress(host, policy)) {
    return { ok: false, message: refusal(host) };
  }
  return { ok: true, url };
}

/** The URL's host name, without IPv6 brackets or a trailing dot, lowercased. */
export function hostOf(url: URL): string {
  return url.hostname
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '')
    .toLowerCase();
}

export type ResolvedAddress = { address: string; family: number };
export type Resolve = (hostname: string) => Promise<ResolvedAddress[]>;

export type Destination =
  | { ok: true; url: URL; address: string; family: number }
  | { ok: false; reason: 'unsafe'; message: string }
  | { ok: false; reason: 'unresolved'; message: string };

/**
 * Resolves the URL's host and checks every address it resolves to: one private
 * address among public ones is enough to refuse, since the connection could go there.
 * The caller connects to the returned address, so a second DNS answer (rebinding)
 * cannot swap in another.
 */
export async function resolveDestination(
  text: string,
  policy: UrlPolicy,
  resolve: Resolve,
): Promise<Destination> {
  const shape = checkUrlShape(text, policy);
  if (!shape.ok) return { ok: false, reason: 'unsafe', message: shape.message };
  const host = hostOf(shape.url);
  const family = isIP(host);
  if (family !== 0) return { ok: true, url: shape.url, address: host, family };
  let addresses: ResolvedAddress[];
  try {
    addresses = await resolve(host);
  } catch (error) {
    return {
      ok: false,
      reason: 'unresolved',
      message: `${host} does not resolve: ${String(error)}`,
    };
  }
  if (addresses.length === 0) {
    return { ok: false, reason: 'unresolved', message: `${host} does not resolve` };
  }
  const refused = addresses.find(({ address }) => !isAllowedAddress(address, policy));
  if (refused) {
    return { ok: false, reason: 'unsafe', message: `${host} ${refusal(refused.address)}` };
  }
  const [first] = addresses as [ResolvedAddress, ...ResolvedAddress[]];
  return { ok: true, url: shape.url, address: first.address, family: first.family };
}

function refusal(address: string): string {
  const kind = classifyAddress(address).replace('_', '-');
  return `resolves to a ${kind} address (${address}), which webhooks may not reach`;
}
