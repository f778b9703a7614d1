import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { topics } from '../../infra/spec.ts';
import { createApiKey, FirestoreApiKeyStore } from '../../functions/src/ingest/apiKeys.ts';
import { createFirestore, createPubSub } from '../../functions/src/lib/clients.ts';
import { loadConfig, type Config } from '../../functions/src/lib/config.ts';
import { createLogger } from '../../functions/src/lib/logger.ts';
import { Runtime } from '../../functions/src/runtime.ts';
import { freePort } from '../../scripts/lib/emulators.ts';
import { projectRoot } from '../../scripts/lib/localStack.ts';
import { testEnvelope } from '../support/failedEvents.ts';
import { drainSubscription, eventIdsIn, eventually, uniqueProjectId } from '../support/pipeline.ts';

describe('graceful shutdown', () => {
  let env: NodeJS.ProcessEnv;
  let config: Config;
  let pubsub: ReturnType<typeof createPubSub>;
  let apiKey: string;

  beforeAll(async () => {
    env = {
      ...process.env,
      GOOGLE_CLOUD_PROJECT: uniqueProjectId('shutdown'),
      PUBSUB_EMULATOR_HOST: inject('pubsubEmulatorHost'),
      FIRESTORE_EMULATOR_HOST: inject('firestoreEmulatorHost'),
      TRIBUTARY_ENV: 'test',
      LOG_LEVEL: 'info',
      METADATA_SERVER_DETECTION: 'none',
    };
    config = loadConfig(env);
    pubsub = createPubSub(config);
    const [topic] = await pubsub.createTopic(topics.events.name);
    await topic.createSubscription('shutdown-check');
    const firestore = createFirestore(config);
    ({ key: apiKey } = await createApiKey(new FirestoreApiKeyStore(firestore), { name: 'sd' }));
    await firestore.terminate();
  });
  afterAll(async () => {
    await pubsub.close();
  });

  it('Runtime.close() sends what waits in the group commit and what the publisher still holds', async () => {
    const runtime = new Runtime(config, { logger: createLogger({ level: 'silent' }) });
    const [first, second] = [testEnvelope(), testEnvelope()];
    // The first is published at once (and held in the publisher's batch window); the
    // second waits in the group commit for the first's publish when close() starts.
    const pending = Promise.all([
      runtime.eventQueue.enqueue([first]),
      runtime.eventQueue.enqueue([second]),
    ]);
    await runtime.close();
    expect((await pending).flat().map((settlement) => settlement.ok)).toEqual([true, true]);
    const ids = [first.eventId, second.eventId];
    const messages = await drainSubscription(pubsub, 'shutdown-check', {
      until: (received) => ids.every((id) => received.some((m) => eventIdsIn(m).includes(id))),
    });
    expect(messages.flatMap(eventIdsIn)).toEqual(expect.arrayContaining(ids));
  });

  it('SIGTERM to a serving ingest process: every event it accepted arrives', async () => {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [join(projectRoot, 'scripts', 'serveFunction.ts'), 'ingest', String(port)],
      { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const url = `http://127.0.0.1:${port}`;
    await eventually(
      async () =>
        (await fetch(`${url}/openapi.json`).catch(() => undefined))?.ok ? true : undefined,
      { timeoutMs: 30_000, what: 'ingest to serve' },
    );

    let signalled = false;
    const send = async (i: number) => {
      const response = await fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ eventType: 'shutdown.test', payload: { i } }),
      });
      if (!signalled) {
        // Signal while the other requests are still being answered.
        signalled = true;
        child.kill('SIGTERM');
      }
      return { status: response.status, body: (await response.json()) as { eventId?: string } };
    };
    const results = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => send(i)));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(output).toContain('function stopped');
    expect(code).toBe(0);

    const accepted = results.flatMap((r) =>
      r.status === 'fulfilled' && r.value.status === 202 && r.value.body.eventId
        ? [r.value.body.eventId]
        : [],
    );
    // Requests that got an answer either were accepted or got a clear error; none hung.
    expect(accepted.length).toBeGreaterThan(0);
    const messages = await drainSubscription(pubsub, 'shutdown-check', {
      timeoutMs: 20_000,
      until: (received) => {
        const ids = new Set(received.flatMap(eventIdsIn));
        return accepted.every((id) => ids.has(id));
      },
    });
    const arrived = new Set(messages.flatMap(eventIdsIn));
    expect(accepted.filter((id) => !arrived.has(id))).toEqual([]);
  });
});
