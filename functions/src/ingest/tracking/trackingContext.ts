import type { Request } from '@google-cloud/functions-framework';
import { clientIp } from '../../lib/clientAddress.ts';
import { HttpError } from '../../lib/http.ts';
import type { Logger } from '../../lib/logger.ts';
import type { Principal } from '../../lib/router.ts';
import type { ApiKey } from '../apiKeys.ts';
import { cookielessVisitorId } from '../browser/visitorId.ts';
import type { HeldSalts, VisitorSaltHolder } from '../browser/visitorSalts.ts';
import type { TrackingCallType, TrackingContext } from './trackingMessageToEvent.ts';

export type KeyedTrackingContext = TrackingContext & { keyId: string };

/** What the context of a tracking request needs from the ingest function. */
export type TrackingContextDeps = {
  now: () => Date;
  /** The day's salts of cookieless visitor ids, held per instance. */
  visitorSalts: Pick<VisitorSaltHolder, 'at'>;
  limits: { retryAfterSeconds: number };
  logger: Pick<Logger, 'warn'>;
};

/**
 * What the mapping of a request's messages needs besides the messages: the key, when
 * the request arrived, the call type of a single-call route, the key's site, and for a
 * key that counts visitors without cookies, its visitor's id. Synchronous unless the
 * instance has yet to read the day's salt.
 */
export function trackingContext(
  req: Request,
  apiKey: Principal,
  deps: TrackingContextDeps,
  routeType?: TrackingCallType,
): KeyedTrackingContext | Promise<KeyedTrackingContext> {
  // The authenticated key is our ApiKey, which may name the site its events belong to.
  const { siteId, visitors } = apiKey as Partial<ApiKey>;
  const receivedAt = deps.now();
  const context: KeyedTrackingContext = {
    keyId: apiKey.keyId,
    receivedAt,
    ...(routeType ? { routeType } : {}),
    ...(siteId ? { keySiteId: siteId } : {}),
  };
  if (visitors !== 'cookieless') return context;
  // The address and user agent stay in this closure, in memory: only the id leaves it.
  const address = clientIp(req);
  const userAgent = req.headers['user-agent'] ?? '';
  const withSalts = (salts: HeldSalts): KeyedTrackingContext => ({
    ...context,
    visitorId: (site, occurredAt) =>
      cookielessVisitorId(salts.saltFor(occurredAt?.slice(0, 10)), {
        site: site ?? apiKey.keyId,
        address,
        userAgent,
      }),
  });
  const salts = deps.visitorSalts.at(receivedAt);
  if (!(salts instanceof Promise)) return withSalts(salts);
  return salts.then(withSalts, (error: unknown) => {
    deps.logger.warn({ code: (error as { code?: unknown }).code }, 'visitor salts unreadable');
    throw new HttpError(503, 'unavailable', 'Visitors cannot be counted now; send again.', {
      headers: { 'Retry-After': String(deps.limits.retryAfterSeconds) },
    });
  });
}
