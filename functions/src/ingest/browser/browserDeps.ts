import type { ApiKeyAuthenticator } from '../apiKeys.ts';
import type { RateLimiter } from '../rateLimiter.ts';
import type { BrowserOriginIndex } from './originIndex.ts';

/** What the browser side of ingest needs besides the routes' own dependencies. */
export type BrowserDeps = {
  authenticator: ApiKeyAuthenticator;
  browserOrigins: BrowserOriginIndex;
  /** Per client address, beside each key's own limit. */
  addressRateLimiter: RateLimiter;
  limits: {
    retryAfterSeconds: number;
    browserRateLimitPerSecond: number;
    browserRateLimitBurst: number;
  };
};
