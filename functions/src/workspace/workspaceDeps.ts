import type { SecretBox } from '../lib/encryption.ts';
import type { MessageLimits } from '../lib/eventMessages.ts';
import type { Logger } from '../lib/logger.ts';
import type { Publisher } from '../lib/publisher.ts';
import type { ActivityReports } from './reportsClient.ts';
import type { SeenActivities, SourceStore } from './sourceStore.ts';

export type WorkspaceSettings = {
  overlapSeconds: number;
  maxWindowSeconds: number;
  pageSize: number;
  fetchBudgetMs: number;
  backoffBaseSeconds: number;
  backoffMaxSeconds: number;
  seenTtlDays: number;
  /** A page's events go out as few messages of at most this many events and bytes. */
  messageLimits: MessageLimits;
};

/** What the Workspace subscribers (poll, fetch, exhausted fetch) use. */
export type WorkspaceDeps = {
  sources: SourceStore;
  seen: SeenActivities;
  reports: ActivityReports;
  publisher: Publisher;
  /** Undefined when no encryption key is configured: credentials cannot be opened. */
  secrets: SecretBox | undefined;
  now: () => Date;
  clock: () => number;
  logger: Logger;
  settings: WorkspaceSettings;
};
