import type { SecretBox } from '../lib/encryption.ts';
import type { Publisher } from '../lib/publisher.ts';
import type { WebhookRouteDeps } from '../webhooks/adminDeps.ts';
import type { SourceStore } from './sourceStore.ts';

/** What the operators' source routes need, as part of the api function's deps. */
export type WorkspaceAdminDeps = {
  sources: SourceStore;
  /** Undefined when no encryption key is configured: credentials cannot be stored. */
  secrets: SecretBox | undefined;
  publisher: Publisher;
  now: () => Date;
};

/** What the source routes use: sources, and webhooks for a source's callback URL. */
export type WorkspaceRouteDeps = WebhookRouteDeps & { workspace: WorkspaceAdminDeps };
