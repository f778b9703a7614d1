/** Who the functions run as, and the secrets they are given. */

/** Identities the functions run as, one per role, each with the least it needs. */
export const serviceAccounts = {
  ingest: { id: 'tributary-ingest', purpose: 'runs ingest: publishes events, reads API keys' },
  processor: {
    id: 'tributary-processor',
    purpose: 'runs the subscribers: records status, publishes downstream, loads the warehouse',
  },
  api: { id: 'tributary-api', purpose: "runs the operators' API" },
  pushInvoker: {
    id: 'tributary-push-invoker',
    purpose: 'signs the OIDC tokens of our push subscriptions; may only invoke the push functions',
  },
} as const;

export type ServiceAccountName = keyof typeof serviceAccounts;

/** Secrets in Secret Manager, by the environment variable they fill. */
export const secrets = {
  ADMIN_TOKEN: { secretId: 'tributary-admin-token', generate: 'token' },
  ENCRYPTION_KEY: { secretId: 'tributary-encryption-key', generate: 'aes-256-key' },
  /** Keys the hashes by which subjects' records, suppressions and tombstones are found; never rotated. */
  SUBJECT_HASH_KEY: { secretId: 'tributary-subject-hash-key', generate: 'aes-256-key' },
} as const satisfies Record<string, { secretId: string; generate: 'token' | 'aes-256-key' }>;

export type SecretName = keyof typeof secrets;
