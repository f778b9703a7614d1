/**
 * The CORS answer of the routes browsers call. Origins are echoed, never `*`, because
 * the SDKs may send credentials; `Vary: Origin` keeps caches from serving one origin's
 * answer to another.
 */

/**
 * What the browser SDKs send: their body type, the key as Basic auth, a compressed body;
 * RudderStack's anonymous id, send time and retry headers; analytics.js's retry count.
 */
export const corsAllowedHeaders = [
  'Content-Type',
  'Authorization',
  'Content-Encoding',
  'AnonymousId',
  'SentAt',
  'RSA-Retry-Attempt',
  'RSA-Retry-Reason',
  'RSA-Since-First-Attempt',
  'RSA-Since-Last-Attempt',
  'X-Retry-Count',
];

/** Chromium caps a preflight's lifetime at two hours; longer is not honoured there. */
export const preflightMaxAgeSeconds = 7200;

/** Headers of every answer to an allowed origin, errors included. */
export function corsHeaders(origin: string): Record<string, string> {
  return {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Credentials': 'true',
    'Access-Control-Expose-Headers': 'Retry-After',
  };
}

/** The answer to a preflight from an allowed origin for a path served by `methods`. */
export function preflightHeaders(
  origin: string,
  methods: readonly string[],
): Record<string, string> {
  return {
    ...corsHeaders(origin),
    'Access-Control-Allow-Methods': [...methods, 'OPTIONS'].join(', '),
    'Access-Control-Allow-Headers': corsAllowedHeaders.join(', '),
    'Access-Control-Max-Age': String(preflightMaxAgeSeconds),
  };
}
