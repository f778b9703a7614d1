import type { SecretBox } from '../lib/encryption.ts';
import type { Publisher } from '../lib/publisher.ts';
import type { SourceStore } from './sourceStore.ts';

/** What the operators' source routes need, as part of the api function's deps. */
export type WorkspaceAdminDeps = {
  sources: SourceStore;
  /** Undefined when no encryption key is configured: credentials cannot be stored. */
  secrets: SecretBox | undefined;
  publisher: Publisher;
  now: () => Date;
};
