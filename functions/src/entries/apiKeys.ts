import { ApiKeyAuthenticator, FirestoreApiKeyStore } from '../ingest/apiKeys.ts';
import { defaults } from '../lib/defaults.ts';
import type { Runtime } from '../runtime.ts';

/** API keys looked up in Firestore and cached, as both HTTP functions authenticate them. */
export function apiKeyAuthenticator(runtime: Runtime): ApiKeyAuthenticator {
  return new ApiKeyAuthenticator(new FirestoreApiKeyStore(runtime.firestore), {
    ttlSeconds: runtime.config.apiKeyCacheSeconds,
    negativeTtlSeconds: defaults.apiKeyNegativeCacheSeconds,
  });
}
