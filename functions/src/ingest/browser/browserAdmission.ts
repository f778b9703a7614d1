import type { Request, Response } from '@google-cloud/functions-framework';
import { clientAddressBucket } from '../../lib/clientAddress.ts';
import { HttpError } from '../../lib/http.ts';
import { challenge, storeUnavailable } from '../authenticateKey.ts';
import type { Role } from '../../lib/router.ts';
import type { ApiKey } from '../apiKeys.ts';
import { trackingBodyError } from '../tracking/trackingBodies.ts';
import { originAllowed } from './allowedOrigins.ts';
import type { BrowserDeps } from './browserDeps.ts';
import { corsHeaders } from './cors.ts';
import { readWriteKey } from './writeKey.ts';

/**
 * The admission of a request to a route browsers call: its key, wherever the SDK put
 * it; for a browser key, its origin and the per-address limit; the CORS headers for an
 * allowed origin, set as soon as key and origin are known, so later errors are readable. A
 * public route (the tracker) only gets its CORS headers. Synchronous when the key and
 * the origins are cached.
 */
export function admitBrowserRequest(
  req: Request,
  res: Response,
  route: { role: Role },
  deps: BrowserDeps,
): ApiKey | undefined | Promise<ApiKey | undefined> {
  res.setHeader('Vary', 'Origin');
  if (route.role === 'public') return corsForAnyBrowserKey(req, res, deps);
  const bodyError = trackingBodyError(req);
  const reading = readWriteKey({
    authorization: req.headers.authorization,
    query: (req.query as Record<string, unknown> | undefined)?.writeKey,
    body: bodyError ? undefined : req.body,
  });
  switch (reading.kind) {
    case 'unreadable':
      throw unauthenticated(reading.place, reading.message);
    case 'conflict':
      throw new HttpError(
        400,
        'conflicting_write_keys',
        `Two different write keys: in ${reading.places[0]} and in ${reading.places[1]}. Send one key.`,
        {
          fields: reading.places.map((place) => ({
            field: place,
            message: `differs from the key in ${reading.places.find((p) => p !== place)}`,
          })),
        },
      );
    case 'none':
      throw (
        bodyError ??
        unauthenticated(
          'Authorization',
          'send the write key as Basic auth, Bearer, ?writeKey= or a writeKey field',
        )
      );
  }
  const found = deps.authenticator.authenticate(reading.key);
  const admit = (key: ApiKey | undefined): ApiKey => {
    if (!key) throw unauthenticated(reading.places[0]!, 'is an unknown or revoked key');
    if (key.allowedOrigins) admitBrowserKey(req, res, key, deps);
    if (bodyError) throw bodyError;
    return key;
  };
  if (found instanceof Promise) {
    return found.then(admit, () => {
      throw storeUnavailable(deps.limits.retryAfterSeconds);
    });
  }
  return admit(found);
}

/** Only from its origins, then the CORS headers, then the limit of the client's address. */
function admitBrowserKey(req: Request, res: Response, key: ApiKey, deps: BrowserDeps): void {
  const origin = req.headers.origin;
  if (origin === undefined || !originAllowed(key.allowedOrigins ?? [], origin)) {
    throw new HttpError(
      403,
      'origin_not_allowed',
      origin === undefined
        ? 'A browser key is sent by web pages, which name their Origin; this request names none.'
        : `This browser key is not allowed from ${origin}.`,
      { fields: [{ field: 'Origin', message: 'is not one of the key’s allowed origins' }] },
    );
  }
  for (const [name, value] of Object.entries(corsHeaders(origin))) res.setHeader(name, value);
  const { browserRateLimitPerSecond: perSecond, browserRateLimitBurst: burst } = deps.limits;
  const bucket = `${key.keyId} ${clientAddressBucket(req)}`;
  const decision = deps.addressRateLimiter.take(bucket, { perSecond, burst });
  if (!decision.allowed) {
    throw new HttpError(
      429,
      'rate_limited',
      `Rate limit of ${perSecond} requests per second from one address exceeded.`,
      { headers: { 'Retry-After': String(decision.retryAfterSeconds) } },
    );
  }
}

/** The tracker is public; pages that some browser key allows may read it with CORS. */
function corsForAnyBrowserKey(
  req: Request,
  res: Response,
  deps: BrowserDeps,
): undefined | Promise<undefined> {
  const origin = req.headers.origin;
  if (origin === undefined) return undefined;
  const setIfAllowed = (allowed: boolean): undefined => {
    if (allowed)
      for (const [name, value] of Object.entries(corsHeaders(origin))) res.setHeader(name, value);
    return undefined;
  };
  const allowed = deps.browserOrigins.allows(origin);
  return allowed instanceof Promise ? allowed.then(setIfAllowed) : setIfAllowed(allowed);
}

function unauthenticated(place: string, message: string): HttpError {
  return new HttpError(
    401,
    'unauthenticated',
    `The write key is missing or not accepted: ${place} ${message}.`,
    {
      fields: [{ field: place, message }],
      headers: { 'WWW-Authenticate': challenge },
    },
  );
}
