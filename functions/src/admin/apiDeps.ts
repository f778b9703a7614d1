import type { ApiKeyAuthenticator } from '../ingest/apiKeys.ts';
import type { Logger } from '../lib/logger.ts';
import type { MetricsReader } from '../metrics/metricsReader.ts';
import type { EventBodySource } from '../metrics/warehouseMetrics.ts';
import type { EventStatusStore } from '../process/eventStatusStore.ts';
import type { WebhookAdminDeps } from '../webhooks/adminDeps.ts';
import type { WorkspaceAdminDeps } from '../workspace/adminDeps.ts';
import type { ReadinessCheck } from './health.ts';
import type { OpsDeps } from './opsDeps.ts';

/**
 * What the routes of the `api` function are given. A leaf of the import graph: route
 * modules import it, the handler imports the routes, and nothing here imports either.
 */
export type ApiDeps = {
  adminToken: string | undefined;
  events: EventStatusStore;
  logger: Logger;
  projectId: string;
  webhooks: WebhookAdminDeps;
  workspace: WorkspaceAdminDeps;
  metrics: MetricsReader;
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
