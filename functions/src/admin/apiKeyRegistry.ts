import type { Firestore } from '@google-cloud/firestore';
import { Timestamp } from '@google-cloud/firestore';
import { collections } from '../../../infra/spec.ts';
import {
  FirestoreApiKeyStore,
  visitorModeOf,
  type ApiKeyStore,
  type VisitorMode,
} from '../ingest/apiKeys.ts';
import type { KeyOnFile } from '../uploads/uploadRouteDeps.ts';

/** What operators see of a key: never the key, never its hash. */
export type ApiKeySummary = {
  keyId: string;
  name: string;
  prefix: string;
  createdAt: Date | null;
  revokedAt: Date | null;
  rateLimitPerSecond: number | null;
  siteId: string | null;
  /** A browser key's allowed origins; null for a server key. */
  allowedOrigins: string[] | null;
  /** How a browser key counts visitors; null for a server key. */
  visitors: VisitorMode | null;
};

export type RevokeOutcome = 'revoked' | 'already_revoked' | 'not_found';

/** API keys as operators manage them. */
export interface ApiKeyRegistry extends ApiKeyStore {
  list(limit: number): Promise<ApiKeySummary[]>;
  revoke(keyId: string, at: Date): Promise<RevokeOutcome>;
  findById(keyId: string): Promise<KeyOnFile | undefined>;
}

export class FirestoreApiKeyRegistry extends FirestoreApiKeyStore implements ApiKeyRegistry {
  readonly #firestore: Firestore;

  constructor(firestore: Firestore) {
    super(firestore);
    this.#firestore = firestore;
  }

  async list(limit: number): Promise<ApiKeySummary[]> {
    const snapshot = await this.#collection()
      .select(
        'keyId',
        'name',
        'prefix',
        'createdAt',
        'revokedAt',
        'rateLimitPerSecond',
        'siteId',
        'allowedOrigins',
        'visitors',
      )
      .limit(limit)
      .get();
    return snapshot.docs
      .map((doc) => summary(doc.data()))
      .sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0));
  }

  async revoke(keyId: string, at: Date): Promise<RevokeOutcome> {
    const found = await this.#collection().where('keyId', '==', keyId).limit(1).get();
    const doc = found.docs[0];
    if (!doc) return 'not_found';
    if (doc.get('revokedAt')) return 'already_revoked';
    await doc.ref.update({ revokedAt: at }, { lastUpdateTime: doc.updateTime });
    return 'revoked';
  }

  async findById(keyId: string): Promise<KeyOnFile | undefined> {
    const found = await this.#collection().where('keyId', '==', keyId).limit(1).get();
    const data = found.docs[0]?.data();
    if (!data) return undefined;
    const key = summary(data);
    return {
      keyId: key.keyId,
      name: key.name,
      rateLimitPerSecond: key.rateLimitPerSecond,
      revoked: key.revokedAt !== null,
      browser: Array.isArray(data.allowedOrigins),
    };
  }

  #collection() {
    return this.#firestore.collection(collections.apiKeys.name);
  }
}

function summary(data: Record<string, unknown>): ApiKeySummary {
  return {
    keyId: String(data.keyId),
    name: String(data.name),
    prefix: typeof data.prefix === 'string' ? data.prefix : '',
    createdAt: data.createdAt instanceof Timestamp ? data.createdAt.toDate() : null,
    revokedAt: data.revokedAt instanceof Timestamp ? data.revokedAt.toDate() : null,
    rateLimitPerSecond:
      typeof data.rateLimitPerSecond === 'number' ? data.rateLimitPerSecond : null,
    siteId: typeof data.siteId === 'string' ? data.siteId : null,
    allowedOrigins: Array.isArray(data.allowedOrigins) ? data.allowedOrigins.map(String) : null,
    visitors: Array.isArray(data.allowedOrigins) ? visitorModeOf(data.visitors) : null,
  };
}
