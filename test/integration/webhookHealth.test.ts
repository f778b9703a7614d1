import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collections } from '../../infra/spec.ts';
import { createLogger } from '../../functions/src/lib/logger.ts';
import type { WebhookEndpoint } from '../../functions/src/webhooks/endpoint.ts';
import { FirestoreEndpointStore } from '../../functions/src/webhooks/endpointStore.ts';
import { EndpointHealthRecorder } from '../../functions/src/webhooks/healthRecorder.ts';
import { sleep } from '../../scripts/lib/emulators.ts';
import { WriteCountingEndpointStore } from '../support/endpointWrites.ts';
import { postJson, startTestPipeline, type TestPipeline } from '../support/pipeline.ts';

const limit = 600;
const perSecond = 400;
const instances = 3;

type Shown = {
  enabled: boolean;
  disabledReason: string | null;
  stats: {
    consecutiveFailures: number;
    failedAttempts: number;
    lastFailureAt: string | null;
    lastFailure: { code: string; message: string; at: string } | null;
    recoveredAt: string | null;
  };
};

describe('an endpoint failing hundreds of times a second at several instances', () => {
  let pipeline: TestPipeline;
  let store: WriteCountingEndpointStore;
  let recorders: EndpointHealthRecorder[];
  let endpointId: string;

  beforeAll(async () => {
    pipeline = await startTestPipeline({
      label: 'webhook-health',
      env: { WEBHOOK_DISABLE_AFTER_FAILURES: String(limit) },
      overrides: (base) => {
        store = new WriteCountingEndpointStore(new FirestoreEndpointStore(base.firestore));
        return { webhookEndpoints: store };
      },
    });
    const created = await postJson(
      `${pipeline.urls.api}/v1/webhook-endpoints`,
      { url: 'http://127.0.0.1:9/hook', eventTypes: ['page.*'] },
      { authorization: `Bearer ${pipeline.adminToken}` },
    );
    if (created.status !== 201) throw new Error(`creating the endpoint answered ${created.status}`);
    endpointId = ((await created.json()) as { id: string }).id;
    // One recorder per instance, as each instance's runtime has.
    recorders = Array.from(
      { length: instances },
      (_, i) =>
        new EndpointHealthRecorder({
          store,
          disableAfterFailures: limit,
          logger: createLogger({ level: 'silent' }),
          instanceId: `instance-${i}`,
        }),
    );
  });
  afterAll(async () => {
    await pipeline.close();
  });

  const shown = async (): Promise<Shown> => {
    const response = await fetch(`${pipeline.urls.api}/v1/webhook-endpoints/${endpointId}`, {
      headers: { authorization: `Bearer ${pipeline.adminToken}` },
    });
    expect(response.status).toBe(200);
    return (await response.json()) as Shown;
  };

  /**
   * `perSecond` failed deliveries a second spread over the instances, each reading the
   * endpoint afresh as deliveries do (every 100 ms here); a disabled endpoint's deliveries
   * are held, not sent. Stops after `count` failures, or when every instance sees it disabled.
   */
  async function failMany(count: number): Promise<number> {
    let recorded = 0;
    await Promise.all(
      recorders.map(async (recorder) => {
        let endpoint = (await store.get(endpointId)) as WebhookEndpoint;
        let readAt = Date.now();
        const pending: Promise<unknown>[] = [];
        while (recorded < count && endpoint.enabled) {
          await sleep(10);
          if (Date.now() - readAt >= 100) {
            endpoint = (await store.get(endpointId)) as WebhookEndpoint;
            readAt = Date.now();
          }
          for (let i = 0; i < perSecond / instances / 100 && recorded < count; i += 1) {
            if (!endpoint.enabled) break;
            recorded += 1;
            const error = { code: 'http_503', message: `HTTP 503 #${recorded}` };
            pending.push(recorder.record(endpoint, { kind: 'failed', error, gone: false }));
          }
        }
        await Promise.all(pending);
      }),
    );
    await Promise.all(recorders.map((recorder) => recorder.flush()));
    return recorded;
  }

  it('is disabled by the same rule, its figures right, no document written twice in a second', async () => {
    store.reset();
    const before = await failMany(limit - 10);
    expect(before).toBe(limit - 10);
    // Short of the limit: still enabled, every failure counted.
    expect(await shown()).toMatchObject({
      enabled: true,
      stats: { consecutiveFailures: limit - 10, failedAttempts: limit - 10 },
    });

    const after = await failMany(10 * limit);
    const total = before + after;
    const endpoint = await shown();
    expect(endpoint).toMatchObject({
      enabled: false,
      disabledReason: 'consecutive_failures',
      stats: { consecutiveFailures: total, failedAttempts: total, recoveredAt: null },
    });
    // Never before the limit; soon after it: at the next write of an instance (a second
    // apart), then each instance's next read of the endpoint (room left for a busy machine).
    expect(total).toBeGreaterThanOrEqual(limit);
    expect(total).toBeLessThan(limit + 3 * perSecond);
    expect(endpoint.stats.lastFailure).toMatchObject({ code: 'http_503' });
    expect(endpoint.stats.lastFailureAt).toBe(endpoint.stats.lastFailure?.at);
    expect(Date.now() - Date.parse(endpoint.stats.lastFailureAt!)).toBeLessThan(10_000);

    // The endpoint document: its creation aside, one write (disabling); each shard ≤ 1/s.
    expect(store.writes.get(`webhook_endpoints/${endpointId}`)).toHaveLength(1);
    expect(store.writes.size).toBe(1 + instances);
    expect(store.perSecondMax()).toBe(1);
  });

  it('enabling again starts a fresh run; a success at another instance ends one', async () => {
    const before = (await shown()).stats.failedAttempts;
    const enabled = await fetch(`${pipeline.urls.api}/v1/webhook-endpoints/${endpointId}`, {
      method: 'PATCH',
      headers: {
        authorization: `Bearer ${pipeline.adminToken}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ enabled: true }),
    });
    expect(await enabled.json()).toMatchObject({
      enabled: true,
      stats: { consecutiveFailures: 0, failedAttempts: before },
    });

    const failed = await failMany(30);
    expect((await shown()).stats).toMatchObject({
      consecutiveFailures: 30,
      failedAttempts: before + 30,
    });
    const endpoint = (await store.get(endpointId))!;
    // The success does not wait for its write: it goes with the next, within a second.
    await recorders[0]!.record(endpoint, { kind: 'delivered', afterFailures: true });
    await expect
      .poll(async () => (await shown()).stats.consecutiveFailures, { timeout: 5000 })
      .toBe(0);
    const recovered = await shown();
    expect(recovered).toMatchObject({
      enabled: true,
      stats: { consecutiveFailures: 0, failedAttempts: before + failed },
    });
    expect(recovered.stats.recoveredAt).not.toBeNull();
  });

  it('deleting the endpoint deletes its shards', async () => {
    const shards = pipeline.firestore
      .collection(collections.webhookEndpoints.name)
      .doc(endpointId)
      .collection(collections.webhookHealth.name);
    expect((await shards.get()).size).toBe(instances);
    const deleted = await fetch(`${pipeline.urls.api}/v1/webhook-endpoints/${endpointId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${pipeline.adminToken}` },
    });
    expect(deleted.status).toBe(204);
    expect((await shards.get()).size).toBe(0);
  });
});
