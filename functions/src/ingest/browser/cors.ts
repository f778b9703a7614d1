/**
 * The CORS answer of the routes browsers call. Origins are echoed, never `*`, because
 * the SDKs may send credentials; `Vary: Origin` keeps caches from serving one origin's
 * answer to another.
 */

/** What the SDKs send: their body type, the key as Basic auth, RudderStack's anonymous id,
 * analytics-next's retry count, and a compressed body. */
export const corsAllowedHeaders = [
  'Content-Type',
  'Authorization',
  'AnonymousId',
  'X-Retry-Count',
  'Content-Encoding',
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
