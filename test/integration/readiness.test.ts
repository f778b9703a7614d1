import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { topics } from '../../infra/spec.ts';
import { createApiHandler } from '../../functions/src/admin/apiHandler.ts';
import { apiFunctionRoutes } from '../../functions/src/routeTable.ts';
import { createPubSub } from '../../functions/src/lib/clients.ts';
import { loadConfig } from '../../functions/src/lib/config.ts';
import { createLogger } from '../../functions/src/lib/logger.ts';
import { Runtime } from '../../functions/src/runtime.ts';
import { freePort, startEmulator, type RunningEmulator } from '../../scripts/lib/emulators.ts';
import { uniqueProjectId } from '../support/pipeline.ts';
import { serveHttp } from '../support/serveHttp.ts';
import { apiDeps } from '../../functions/src/entries/api.ts';

type Readiness = {
  status: string;
  checks: { name: string; status: string; latencyMs: number; error?: string }[];
};

/** Readiness against a Pub/Sub emulator of this test's own, which the test then stops. */
describe('GET /health/ready', () => {
  let emulator: RunningEmulator;
  let runtime: Runtime;
  let api: { url: string; close: () => Promise<void> };

  beforeAll(async () => {
    emulator = await startEmulator('pubsub', await freePort());
    process.env.METADATA_SERVER_DETECTION = 'none';
    const config = loadConfig({
      GOOGLE_CLOUD_PROJECT: uniqueProjectId('ready'),
      PUBSUB_EMULATOR_HOST: emulator.host,
      FIRESTORE_EMULATOR_HOST: inject('firestoreEmulatorHost'),
      TRIBUTARY_ENV: 'test',
      LOG_LEVEL: 'silent',
    });
    const pubsub = createPubSub(config);
    await pubsub.createTopic(topics.events.name);
    await pubsub.close();
    runtime = new Runtime(config, { logger: createLogger({ level: 'silent' }) });
    api = await serveHttp(createApiHandler(() => apiDeps(runtime), apiFunctionRoutes));
  }, 90_000);
  afterAll(async () => {
    await api?.close();
    await runtime?.close();
    await emulator?.stop();
  });

  const ready = async () => {
    const response = await fetch(`${api.url}/health/ready`);
    return { status: response.status, body: (await response.json()) as Readiness };
  };

  it('is ready when Pub/Sub, Firestore and the warehouse answer, each with its latency', async () => {
    const { status, body } = await ready();
    expect(status).toBe(200);
    expect(body.status).toBe('ready');
    expect(body.checks.map((c) => [c.name, c.status])).toEqual([
      ['pubsub', 'up'],
      ['firestore', 'up'],
      ['warehouse', 'up'],
    ]);
    for (const check of body.checks) expect(check.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('reports a stopped emulator as down with 503, and the rest as up', async () => {
    await emulator.stop();
    const { status, body } = await ready();
    expect(status).toBe(503);
    expect(body.status).toBe('unavailable');
    expect(body.checks.find((c) => c.name === 'pubsub')).toMatchObject({ status: 'down' });
    expect(body.checks.find((c) => c.name === 'pubsub')?.error).toBeTruthy();
    expect(body.checks.find((c) => c.name === 'firestore')).toMatchObject({ status: 'up' });
    expect(body.checks.find((c) => c.name === 'warehouse')).toMatchObject({ status: 'up' });
    // Liveness does not depend on anything.
    expect((await fetch(`${api.url}/health`)).status).toBe(200);
  }, 30_000);
});
