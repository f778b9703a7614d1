import { randomUUID } from 'node:crypto';
import type { Firestore } from '@google-cloud/firestore';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { collections } from '../../infra/spec.ts';
import { LiveInstances } from '../../functions/src/ingest/liveInstances.ts';
import { FirestoreRateShareStore } from '../../functions/src/ingest/rateShareStore.ts';
import { SharedRateLimiter } from '../../functions/src/ingest/sharedRateLimiter.ts';
import { createFirestore } from '../../functions/src/lib/clients.ts';
import { loadConfig } from '../../functions/src/lib/config.ts';
import { defaults } from '../../functions/src/lib/defaults.ts';
import { createLogger } from '../../functions/src/lib/logger.ts';

const limit = { perSecond: 100, burst: 200 };
const hashKey = Buffer.from('test hash key');

function firestoreAt(host: string, projectId: string): Firestore {
  return createFirestore(
    loadConfig({ GOOGLE_CLOUD_PROJECT: projectId, FIRESTORE_EMULATOR_HOST: host }),
  );
}

function instances(count: number, firestore: Firestore, lines: string[] = []) {
  const logger = createLogger({
    level: 'info',
    destination: { write: (line: string) => lines.push(line) },
  });
  return Array.from({ length: count }, () => {
    const store = new FirestoreRateShareStore(firestore, hashKey);
    const instanceId = randomUUID();
    return new SharedRateLimiter({
      store,
      instanceId,
      instances: new LiveInstances(store, instanceId, {
        announceMs: defaults.rateLimitAnnounceMs,
        readMs: defaults.rateLimitSyncMs,
      }),
      logger,
      syncMs: defaults.rateLimitSyncMs,
      leaseMs: defaults.rateLimitShareLeaseMs,
      windowMs: defaults.rateLimitWindowMs,
      unsharedFraction: defaults.rateLimitUnsharedFraction,
      storeTimeoutMs: 1000,
    });
  });
}

/** `perSecond` requests of one subject, round robin over the instances, in real time. */
async function drive(
  limiters: SharedRateLimiter[],
  subject: string,
  perSecond: number,
  seconds: number,
): Promise<number[]> {
  const accepted: number[] = Array.from({ length: seconds }, () => 0);
  const started = Date.now();
  let sent = 0;
  for (;;) {
    const elapsed = Date.now() - started;
    if (elapsed >= seconds * 1000) return accepted;
    const due = Math.floor((elapsed / 1000) * perSecond);
    while (sent < due) {
      const limiter = limiters[sent % limiters.length]!;
      sent += 1;
      if (limiter.take(subject, limit).allowed) accepted[Math.floor(elapsed / 1000)]! += 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

describe('rate limits shared through Firestore', () => {
  const projectId = `rate-limits-${randomUUID().slice(0, 8)}`;
  let firestore: Firestore;
  const limiters: SharedRateLimiter[] = [];

  beforeAll(() => {
    firestore = firestoreAt(inject('firestoreEmulatorHost'), projectId);
  });
  afterAll(async () => {
    await Promise.all(limiters.map((limiter) => limiter.close()));
    await firestore.terminate();
  });

  it('holds one key to its limit across four instances sent three times as much', async () => {
    limiters.push(...instances(4, firestore));
    // Until their first shares (a second or two), the instances admit their bursts.
    const accepted = await drive(limiters, 'key_shared', 3 * limit.perSecond, 10);
    const steady = mean(accepted.slice(4));
    expect(steady / limit.perSecond).toBeGreaterThan(0.9);
    expect(steady / limit.perSecond).toBeLessThan(1.1);
    expect(limiters.map((limiter) => limiter.instances)).toEqual([4, 4, 4, 4]);

    // Stored under a keyed hash: neither the key nor an address appears in Firestore.
    const subjects = await firestore.collection(collections.rateLimitSubjects.name).listDocuments();
    const ids = subjects.map((doc) => doc.id);
    expect(ids).toContain(new FirestoreRateShareStore(firestore, hashKey).subjectId('key_shared'));
    expect(ids.join(' ')).not.toContain('key_shared');
    const shares = await subjects[0]!.collection(collections.rateLimitShares.name).get();
    expect(shares.size).toBe(4);
    for (const share of shares.docs)
      expect(Object.keys(share.data()).sort()).toEqual(['demand', 'expireAt']);
  });

  it('fails open when Firestore cannot be reached: each instance limits alone, and says so', async () => {
    // Nothing listens on port 9: every call fails fast.
    const unreachable = firestoreAt('127.0.0.1:9', projectId);
    const lines: string[] = [];
    const alone = instances(2, unreachable, lines);
    try {
      const accepted = await drive(alone, 'key_unreachable', 3 * limit.perSecond, 5);
      // Each of the two admits what one instance allows: the whole limit.
      expect(mean(accepted.slice(2)) / limit.perSecond).toBeGreaterThan(1.9);
      const warnings = lines.filter((line) => line.includes('rate limit shares unreachable'));
      expect(warnings.length).toBeGreaterThanOrEqual(1);
      expect(warnings.length).toBeLessThanOrEqual(2);
    } finally {
      await Promise.all(alone.map((limiter) => limiter.close()));
      // Its calls retry for a while yet; nothing waits for them.
      void unreachable.terminate().catch(() => undefined);
    }
  });
});
