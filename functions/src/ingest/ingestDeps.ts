import type { Logger } from '../lib/logger.ts';
import type { AcceptDeps } from './acceptEvent.ts';
import type { ApiKeyAuthenticator } from './apiKeys.ts';
import type { BrowserOriginIndex } from './browser/originIndex.ts';
import type { VisitorSaltHolder } from './browser/visitorSalts.ts';
import type { RateLimiter } from './rateLimiter.ts';

/** What the routes of the `ingest` function are given (a leaf: it imports no route). */
export type IngestDeps = AcceptDeps & {
  authenticator: ApiKeyAuthenticator;
  rateLimiter: RateLimiter;
  /** Browser keys: per client address, beside the per-key limit. */
  addressRateLimiter: RateLimiter;
  /** The origins of every browser key, for preflights and the tracker. */
  browserOrigins: BrowserOriginIndex;
  /** The day's salts of cookieless visitor ids, held per instance. */
  visitorSalts: VisitorSaltHolder;
  logger: Logger;
  projectId: string;
  limits: {
    maxEventBytes: number;
    maxBatchBytes: number;
    maxBatchEvents: number;
    rateLimitPerSecond: number;
    rateLimitBurst: number;
    browserRateLimitPerSecond: number;
    browserRateLimitBurst: number;
    retryAfterSeconds: number;
  };
};
