import type { ApiKeyAuthenticator } from '../ingest/apiKeys.ts';
import type { Logger } from '../lib/logger.ts';
import type { MetricsRouteDeps } from '../metrics/metricsRoutes.ts';
import type { EventBodySource } from '../metrics/warehouseMetrics.ts';
import type { EventStatusStore } from '../process/eventStatusStore.ts';
import type { OperatorUploadRouteDeps, UploadRouteDeps } from '../uploads/uploadRouteDeps.ts';
import type { WebhookRouteDeps } from '../webhooks/adminDeps.ts';
import type { WorkspaceRouteDeps } from '../workspace/adminDeps.ts';
import type { PrivacyRouteDeps } from './privacy/regulationRoutes.ts';
import type { TrackingPlanRouteDeps } from './trackingPlan/planRoutes.ts';
import type { ReadinessCheck } from './health.ts';
import type { OpsDeps } from './opsDeps.ts';

/**
 * What the routes of the `api` function are given: every route family's own deps, and
 * what admin's routes use besides. The families declare theirs and never import this.
 */
export type ApiDeps = WebhookRouteDeps &
  TrackingPlanRouteDeps &
  PrivacyRouteDeps &
  WorkspaceRouteDeps &
  MetricsRouteDeps &
  UploadRouteDeps &
  OperatorUploadRouteDeps & {
    adminToken: string | undefined;
    events: EventStatusStore;
    logger: Logger;
    projectId: string;
    /** Processed events' bodies, which their status records no longer keep. */
    eventBodies: EventBodySource;
    /** For `apiKey` routes (CSV uploads). */
    authenticator: ApiKeyAuthenticator;
    retryAfterSeconds: number;
    /** Named dependency checks of `GET /health/ready`; add one per dependency. */
    readiness: readonly ReadinessCheck[];
    readinessTimeoutMs: number;
    ops: OpsDeps;
  };
