import { describe, expect, it } from 'vitest';
import {
  ApiKeyAuthenticator,
  createApiKey,
  hashApiKey,
  type ApiKey,
  type ApiKeyStore,
} from './apiKeys.ts';

class MemoryKeyStore implements ApiKeyStore {
  readonly keys = new Map<string, ApiKey>();
  reads = 0;
  findByHash(hash: string): Promise<ApiKey | undefined> {
    this.reads += 1;
    return Promise.resolve(this.keys.get(hash));
  }
  create(hash: string, key: ApiKey): Promise<void> {
    this.keys.set(hash, key);
    return Promise.resolve();
  }
  listBrowserOrigins(): Promise<string[][]> {
    return Promise.resolve(
      [...this.keys.values()].flatMap((key) => (key.allowedOrigins ? [key.allowedOrigins] : [])),
    );
  }
}

describe('API keys', () => {
  it('are stored by hash only', async () => {
    const store = new MemoryKeyStore();
    const { key, keyId } = await createApiKey(store, { name: 'shop' });
    expect(key).toMatch(/^trb_[A-Za-z0-9_-]{43}$/);
    expect([...store.keys.keys()]).toEqual([hashApiKey(key)]);
    expect(JSON.stringify([...store.keys.values()])).not.toContain(key);
    expect(keyId).toMatch(/^key_[0-9a-f]{16}$/);
  });

  it('are read once per cache window, and concurrent misses share one read', async () => {
    let now = 0;
    const store = new MemoryKeyStore();
    const { key } = await createApiKey(store, { name: 'shop' });
    const authenticator = new ApiKeyAuthenticator(store, {
      ttlSeconds: 60,
      negativeTtlSeconds: 5,
      now: () => now,
    });
    const results = await Promise.all(
      Array.from({ length: 10 }, async () => authenticator.authenticate(key)),
    );
    expect(results.every((r) => r?.name === 'shop')).toBe(true);
    expect(store.reads).toBe(1);
    // A cached key is answered without a promise: the ingest hot path relies on it.
    expect(authenticator.authenticate(key)).toMatchObject({ name: 'shop' });
    now = 61_000;
    await authenticator.authenticate(key);
    expect(store.reads).toBe(2);
  });

  it('refuse unknown and revoked keys, remembering unknown ones briefly', async () => {
    let now = 0;
    const store = new MemoryKeyStore();
    const authenticator = new ApiKeyAuthenticator(store, {
      ttlSeconds: 60,
      negativeTtlSeconds: 5,
      now: () => now,
    });
    expect(await authenticator.authenticate('trb_nope')).toBeUndefined();
    expect(await authenticator.authenticate('trb_nope')).toBeUndefined();
    expect(store.reads).toBe(1);
    const { key } = await createApiKey(store, { name: 'late' });
    now = 6000;
    expect(await authenticator.authenticate(key)).toBeDefined();
    store.keys.set(hashApiKey('trb_revoked'), {
      keyId: 'key_r',
      name: 'r',
      rateLimitPerSecond: null,
      revoked: true,
    });
    expect(await authenticator.authenticate('trb_revoked')).toBeUndefined();
  });
});
