import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, openAsBlob } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { topics } from '../../infra/spec.ts';
import { createApiKey, FirestoreApiKeyStore } from '../../functions/src/ingest/apiKeys.ts';
import { createFirestore, createPubSub } from '../../functions/src/lib/clients.ts';
import { loadConfig } from '../../functions/src/lib/config.ts';
import { freePort, startEmulator, type RunningEmulator } from '../../scripts/lib/emulators.ts';
import { projectRoot } from '../../scripts/lib/localStack.ts';
import { eventually, uniqueProjectId } from '../support/pipeline.ts';

const rows = 100_000;
const heapCapMb = 96;

/** Peak resident memory of a process, from the kernel's high-water mark. */
async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)\s+kB/.exec(status)?.[1]);
  return kb / 1024;
}

/**
 * A 100,000-row upload to the `api` function served in its own process, as `npm start`
 * serves it, with its heap capped far below what the rows would take as events. The
 * topic has no subscription, so the emulator takes every publish and nothing is
 * processed: this is about the upload path only.
 */
describe('a 100,000-row CSV upload', () => {
  let child: ChildProcess;
  let url: string;
  let apiKey: string;
  let dir: string;
  let file: string;
  let output = '';
  // A Pub/Sub emulator of its own: 100,000 publishes must not slow the other test files' one.
  let emulator: RunningEmulator;

  beforeAll(async () => {
    emulator = await startEmulator('pubsub', await freePort());
    const env = {
      ...process.env,
      GOOGLE_CLOUD_PROJECT: uniqueProjectId('bigcsv'),
      PUBSUB_EMULATOR_HOST: emulator.host,
      FIRESTORE_EMULATOR_HOST: inject('firestoreEmulatorHost'),
      TRIBUTARY_ENV: 'test',
      LOG_LEVEL: 'warn',
      UPLOAD_MAX_BYTES: String(64 * 1024 * 1024),
      METADATA_SERVER_DETECTION: 'none',
    };
    const config = loadConfig(env);
    const pubsub = createPubSub(config);
    const firestore = createFirestore(config);
    await pubsub.createTopic(topics.events.name);
    ({ key: apiKey } = await createApiKey(new FirestoreApiKeyStore(firestore), { name: 'bulk' }));
    await Promise.all([pubsub.close(), firestore.terminate()]);

    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    child = spawn(
      process.execPath,
      [
        `--max-old-space-size=${heapCapMb}`,
        join(projectRoot, 'scripts', 'serveFunction.ts'),
        'api',
        String(port),
      ],
      { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`api exited:\n${output}`);
        return (await fetch(`${url}/health`).catch(() => undefined))?.ok ? true : undefined;
      },
      { timeoutMs: 30_000, what: 'the api function to serve' },
    );

    dir = await mkdtemp(join(tmpdir(), 'tributary-csv-'));
    file = join(dir, 'big.csv');
    const out = createWriteStream(file);
    out.write('eventType,occurredAt,siteId,userId,path,payload.title,payload.note\n');
    for (let i = 0; i < rows; i += 1) {
      const line = `page.viewed,2026-01-02T03:04:05Z,shop,user-${i},/products/${i},Product ${i},${'n'.repeat(80)}\n`;
      if (!out.write(line)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
  }, 120_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    await rm(dir, { recursive: true, force: true });
    await emulator?.stop();
  });

  it('is streamed: every row inserted with the heap capped and peak memory bounded', async () => {
    const size = (await stat(file)).size;
    expect(size).toBeGreaterThan(15_000_000);
    const before = await peakRssMb(child.pid!);
    const form = new FormData();
    form.append('file', await openAsBlob(file, { type: 'text/csv' }), 'big.csv');
    const response = await fetch(`${url}/v1/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}` },
      body: form,
    });
    const body = (await response.json()) as Record<string, unknown>;
    expect({ status: response.status, body }).toMatchObject({
      status: 200,
      body: { status: 'completed', rows, insertedCount: rows, failedCount: 0 },
    });
    expect(child.exitCode).toBeNull();
    const peak = await peakRssMb(child.pid!);
    console.log(
      `100k-row upload: file ${(size / 1048576).toFixed(1)} MB; api process peak RSS ${before.toFixed(0)} → ${peak.toFixed(0)} MB (heap capped at ${heapCapMb} MB)`,
    );
    // The rows as events would need several hundred MB; a buffered body alone is the file's size.
    expect(peak - before).toBeLessThan(128);
  }, 240_000);
});
