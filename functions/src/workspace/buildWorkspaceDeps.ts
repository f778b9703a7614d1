import type { Firestore } from '@google-cloud/firestore';
import type { Config } from '../lib/config.ts';
import { defaults } from '../lib/defaults.ts';
import type { SecretBox } from '../lib/encryption.ts';
import type { Logger } from '../lib/logger.ts';
import type { Publisher } from '../lib/publisher.ts';
import { GoogleActivityReports, type ActivityReports } from './reportsClient.ts';
import { FirestoreSeenActivities, FirestoreSourceStore } from './sourceStore.ts';
import type { WorkspaceDeps } from './workspaceDeps.ts';

/** The Workspace subscribers' parts (poll tick, fetch, exhausted fetch). */
export function buildWorkspaceDeps(parts: {
  config: Config;
  firestore: Firestore;
  publisher: Publisher;
  secrets: SecretBox | undefined;
  logger: Logger;
  reports: ActivityReports | undefined;
}): WorkspaceDeps {
  const { config, firestore } = parts;
  return {
    sources: new FirestoreSourceStore(firestore),
    seen: new FirestoreSeenActivities(firestore),
    reports:
      parts.reports ??
      new GoogleActivityReports({
        rootUrl: config.workspaceApiRootUrl,
        tokenUrl: config.workspaceTokenUrl,
      }),
    publisher: parts.publisher,
    secrets: parts.secrets,
    now: () => new Date(),
    clock: () => Date.now(),
    logger: parts.logger,
    settings: {
      overlapSeconds: defaults.workspaceOverlapSeconds,
      maxWindowSeconds: defaults.workspaceMaxWindowSeconds,
      pageSize: defaults.workspacePageSize,
      fetchBudgetMs: defaults.workspaceFetchBudgetMs,
      backoffBaseSeconds: defaults.workspaceBackoffBaseSeconds,
      backoffMaxSeconds: defaults.workspaceBackoffMaxSeconds,
      seenTtlDays: defaults.workspaceSeenTtlDays,
      messageLimits: config.messageLimits,
    },
  };
}
