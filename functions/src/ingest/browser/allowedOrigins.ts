import { z } from 'zod';

/**
 * The origins a browser key may be used from: exact origins as browsers send them in
 * the `Origin` header (`https://shop.example`, `http://localhost:3000`), or
 * `https://*.shop.example` for any subdomain of a domain.
 */

export const maxAllowedOrigins = 50;

/** Why an allowed-origin entry is not one, or undefined when it is. */
export function allowedOriginProblem(value: string): string | undefined {
  const wildcard = /^(https?):\/\/\*\.(.*)$/.exec(value);
  const candidate = wildcard ? `${wildcard[1]}://wildcard.${wildcard[2]}` : value;
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return 'must be an origin such as https://shop.example';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be http or https';
  if (url.origin !== candidate) {
    const written = wildcard ? url.origin.replace('wildcard.', '*.') : url.origin;
    return `must be an origin as browsers send it, without path, slash or default port: ${written}`;
  }
  if (value.includes('*') && !wildcard)
    return 'a wildcard must be the first label: https://*.shop.example';
  if (wildcard && !url.hostname.slice('wildcard.'.length).includes('.'))
    return 'a wildcard must stand under a domain of at least two labels: https://*.shop.example';
  return undefined;
}

export const allowedOriginsSchema = z
  .array(
    z.string().superRefine((value, context) => {
      const problem = allowedOriginProblem(value);
      if (problem) context.addIssue({ code: 'custom', message: problem });
    }),
  )
  .min(1)
  .max(maxAllowedOrigins)
  .refine((origins) => new Set(origins).size === origins.length, 'lists an origin twice');

/** Whether an `Origin` header is one of the patterns. */
export function originAllowed(patterns: readonly string[], origin: string): boolean {
  for (const pattern of patterns) {
    if (pattern === origin) return true;
    const star = pattern.indexOf('://*.');
    if (star === -1) continue;
    // `https://*.shop.example:8443` → scheme `https://`, suffix `.shop.example:8443`.
    const scheme = pattern.slice(0, star + 3);
    const suffix = pattern.slice(star + 4);
    if (!origin.startsWith(scheme) || !origin.endsWith(suffix)) continue;
    const label = origin.slice(scheme.length, origin.length - suffix.length);
    if (/^[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(label)) return true;
  }
  return false;
}
