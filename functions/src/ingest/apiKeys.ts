import { hash as digest, randomBytes } from 'node:crypto';
import type { Firestore } from '@google-cloud/firestore';
import { collections } from '../../../infra/spec.ts';

/** What a request is allowed to know about the key it came with. Never the key itself. */
export type ApiKey = {
  keyId: string;
  name: string;
  /** Overrides the configured per-key rate limit, in requests per second. */
  rateLimitPerSecond: number | null;
  /** The site the key's events belong to, when the key is for one site. */
  siteId?: string;
  /**
   * Set on browser keys only: the origins (exact, or `https://*.domain`) the key may send
   * tracking calls from. Such a key is public by design and opens nothing else.
   */
  allowedOrigins?: string[];
  /** Set on browser keys only: how their visitors are counted. */
  visitors?: VisitorMode;
  revoked: boolean;
};

/**
 * How a browser key counts visitors: by an anonymous id the page keeps (`stored`, the
 * tracker in localStorage), or by an id ingest derives from a daily salt, the site, the
 * client address and the user agent, with nothing kept in the browser (`cookieless`).
 */
export const visitorModes = ['stored', 'cookieless'] as const;

export type VisitorMode = (typeof visitorModes)[number];

export interface ApiKeyStore {
  findByHash(hash: string): Promise<ApiKey | undefined>;
  create(hash: string, key: ApiKey & { createdAt: Date; prefix: string }): Promise<void>;
  /** The allowed origins of every active browser key, for answering preflights. */
  listBrowserOrigins(): Promise<string[][]>;
}

/** Browser keys carry this `kind`, so their origins are found with one equality query. */
const browserKind = 'browser';

const keyPrefix = 'trb_';

export function generateApiKey(): string {
  return keyPrefix + randomBytes(32).toString('base64url');
}

/** Keys are high-entropy random strings, so a fast hash is enough to store them safely. */
export function hashApiKey(key: string): string {
  return digest('sha256', key, 'hex');
}

export function keyIdOf(hash: string): string {
  return `key_${hash.slice(0, 16)}`;
}

export class FirestoreApiKeyStore implements ApiKeyStore {
  readonly #firestore: Firestore;

  constructor(firestore: Firestore) {
    this.#firestore = firestore;
  }

  async findByHash(hash: string): Promise<ApiKey | undefined> {
    const snapshot = await this.#firestore.collection(collections.apiKeys.name).doc(hash).get();
    const data = snapshot.data();
    if (!data) return undefined;
    return {
      keyId: String(data.keyId),
      name: String(data.name),
      rateLimitPerSecond:
        typeof data.rateLimitPerSecond === 'number' ? data.rateLimitPerSecond : null,
      ...(typeof data.siteId === 'string' && data.siteId !== '' ? { siteId: data.siteId } : {}),
      ...(isOriginList(data.allowedOrigins)
        ? { allowedOrigins: data.allowedOrigins, visitors: visitorModeOf(data.visitors) }
        : {}),
      revoked: data.revokedAt !== null && data.revokedAt !== undefined,
    };
  }

  async create(hash: string, key: ApiKey & { createdAt: Date; prefix: string }): Promise<void> {
    await this.#firestore
      .collection(collections.apiKeys.name)
      .doc(hash)
      .set({
        keyId: key.keyId,
        name: key.name,
        prefix: key.prefix,
        rateLimitPerSecond: key.rateLimitPerSecond,
        ...(key.siteId ? { siteId: key.siteId } : {}),
        ...(key.allowedOrigins
          ? {
              kind: browserKind,
              allowedOrigins: key.allowedOrigins,
              visitors: key.visitors ?? 'stored',
            }
          : {}),
        createdAt: key.createdAt,
        revokedAt: key.revoked ? key.createdAt : null,
      });
  }

  async listBrowserOrigins(): Promise<string[][]> {
    const snapshot = await this.#firestore
      .collection(collections.apiKeys.name)
      .where('kind', '==', browserKind)
      .select('allowedOrigins', 'revokedAt')
      .get();
    return snapshot.docs
      .map((doc) => doc.data())
      .filter((data) => !data.revokedAt && isOriginList(data.allowedOrigins))
      .map((data) => data.allowedOrigins as string[]);
  }
}

/** Keys made before visitors were a choice count them as they did: `stored`. */
export function visitorModeOf(value: unknown): VisitorMode {
  return value === 'cookieless' ? 'cookieless' : 'stored';
}

function isOriginList(value: unknown): value is string[] {
  return Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string');
}

/** Stores a new key and returns it; the only moment the plain key exists. */
export async function createApiKey(
  store: ApiKeyStore,
  options: {
    name: string;
    rateLimitPerSecond?: number;
    siteId?: string;
    allowedOrigins?: string[];
    /** Browser keys only. */
    visitors?: VisitorMode;
    key?: string;
  },
  now = new Date(),
): Promise<{ key: string; keyId: string }> {
  const key = options.key ?? generateApiKey();
  const hash = hashApiKey(key);
  const keyId = keyIdOf(hash);
  await store.create(hash, {
    keyId,
    name: options.name,
    rateLimitPerSecond: options.rateLimitPerSecond ?? null,
    ...(options.siteId ? { siteId: options.siteId } : {}),
    ...(options.allowedOrigins
      ? { allowedOrigins: options.allowedOrigins, visitors: options.visitors ?? 'stored' }
      : {}),
    revoked: false,
    createdAt: now,
    prefix: key.slice(0, keyPrefix.length + 4),
  });
  return { key, keyId };
}

type CacheEntry = { key: ApiKey | undefined; expiresAt: number };

/**
 * Resolves bearer keys through a short-lived cache, so the key store is read once per
 * key per window rather than on every request. Concurrent misses share one read.
 */
export class ApiKeyAuthenticator {
  readonly #store: ApiKeyStore;
  readonly #ttlMs: number;
  readonly #negativeTtlMs: number;
  readonly #now: () => number;
  readonly #cache = new Map<string, CacheEntry>();
  readonly #pending = new Map<string, Promise<ApiKey | undefined>>();

  constructor(
    store: ApiKeyStore,
    options: { ttlSeconds: number; negativeTtlSeconds: number; now?: () => number },
  ) {
    this.#store = store;
    this.#ttlMs = options.ttlSeconds * 1000;
    this.#negativeTtlMs = options.negativeTtlSeconds * 1000;
    this.#now = options.now ?? Date.now;
  }

  /**
   * The active key for this bearer token, or undefined when unknown or revoked. A cached
   * answer comes back synchronously: every ingest request asks, and a promise per
   * request is measurable there.
   */
  authenticate(token: string): ApiKey | undefined | Promise<ApiKey | undefined> {
    const hash = hashApiKey(token);
    const cached = this.#cache.get(hash);
    if (cached && cached.expiresAt > this.#now()) return activeOnly(cached.key);
    let pending = this.#pending.get(hash);
    if (!pending) {
      pending = this.#load(hash);
      this.#pending.set(hash, pending);
    }
    return pending.then(activeOnly);
  }

  async #load(hash: string): Promise<ApiKey | undefined> {
    try {
      const key = await this.#store.findByHash(hash);
      const ttl = key ? this.#ttlMs : this.#negativeTtlMs;
      if (this.#cache.size > 10_000) this.#cache.clear();
      this.#cache.set(hash, { key, expiresAt: this.#now() + ttl });
      return key;
    } finally {
      this.#pending.delete(hash);
    }
  }
}

function activeOnly(key: ApiKey | undefined): ApiKey | undefined {
  return key && !key.revoked ? key : undefined;
}
