import type { UploadDeps } from '../uploads/takeUpload.ts';
import type { ApiKeyRegistry } from './apiKeyRegistry.ts';
import type { BulkReplayDeps } from './bulkReplay.ts';
import type { EventQueries } from './eventQueries.ts';
import type { BacklogSource, MetricsSettings } from './metrics.ts';

/** What the operations routes of the `api` function use: admin API, replays, uploads. */
export type OpsDeps = {
  apiKeys: ApiKeyRegistry;
  queries: EventQueries;
  /** Replay of one event uses the same parts as a bulk replay. */
  replay: BulkReplayDeps;
  backlog: BacklogSource;
  metrics: MetricsSettings;
  uploads: UploadDeps;
  /** Where producers send events (the ingest function's URL), when configured. */
  ingestUrl: string | null;
  now: () => Date;
};
