import { appendFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { Firestore } from '@google-cloud/firestore';
import type { PubSub } from '@google-cloud/pubsub';
import { createFirestore, createPubSub } from '../../functions/src/lib/clients.ts';
import { loadConfig } from '../../functions/src/lib/config.ts';
import { sleep } from '../../scripts/lib/emulators.ts';
import { LocalStack } from '../../scripts/lib/localStack.ts';
import { uniqueProjectId } from '../support/pipeline.ts';

/** The local stack (one process per function) with its logs captured for scanning. */
export type StackHarness = {
  stack: LocalStack;
  pubsub: PubSub;
  firestore: Firestore;
  logs: string[];
  /** Where the stack keeps its state (its local warehouse among it), removed on close. */
  stateDir: string;
  close: () => Promise<void>;
};

export async function startStack(options: {
  label: string;
  pubsubEmulatorHost: string;
  firestoreEmulatorHost: string;
  logLevel?: 'debug' | 'info';
  webhookAllowLoopback?: boolean;
  env?: Record<string, string>;
}): Promise<StackHarness> {
  const stateDir = await mkdtemp(join(tmpdir(), `tributary-${options.label}-`));
  const logs: string[] = [];
  const suiteLog = inject('faultCapture').logFile;
  const projectId = uniqueProjectId(options.label);
  const stack = await LocalStack.start({
    projectId,
    stateDir,
    pubsubEmulatorHost: options.pubsubEmulatorHost,
    firestoreEmulatorHost: options.firestoreEmulatorHost,
    functionsBasePort: 0,
    retryProfile: 'test',
    // At debug level the scan for secrets covers every line the code can write.
    logLevel: options.logLevel ?? 'debug',
    log: (text) => {
      logs.push(text);
      // Every line of every stack in the suite, scanned for secrets once the suite ends.
      appendFileSync(suiteLog, text);
    },
    ...(options.webhookAllowLoopback === undefined
      ? {}
      : { webhookAllowLoopback: options.webhookAllowLoopback }),
    ...(options.env ? { env: options.env } : {}),
  });
  const kept = JSON.parse(await readFile(join(stateDir, 'secrets.json'), 'utf8')) as {
    encryptionKey: string;
    subjectHashKey: string;
  };
  watchSecret(stack.info.apiKey, stack.info.adminToken, kept.encryptionKey, kept.subjectHashKey);
  const config = loadConfig({
    GOOGLE_CLOUD_PROJECT: projectId,
    PUBSUB_EMULATOR_HOST: options.pubsubEmulatorHost,
    FIRESTORE_EMULATOR_HOST: options.firestoreEmulatorHost,
  });
  const pubsub = createPubSub(config);
  const firestore = createFirestore(config);
  return {
    stack,
    pubsub,
    firestore,
    logs,
    stateDir,
    close: async () => {
      // The emulators outlive this stack: without its subscriptions they stop pushing
      // what is left (stalled retries, schedules) at ports nobody listens on anymore.
      await deleteSubscriptions(pubsub);
      await stack.stop();
      await Promise.all([pubsub.close(), firestore.terminate()]);
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

async function deleteSubscriptions(pubsub: PubSub): Promise<void> {
  try {
    const [subscriptions] = await pubsub.getSubscriptions();
    await Promise.allSettled(subscriptions.map((subscription) => subscription.delete()));
  } catch {
    // An emulator that is down has nothing left to push.
  }
}

export type SendResult = { status: number; eventId?: string; retryAfter?: number };

export async function sendEvent(
  ingestUrl: string,
  apiKey: string,
  event: Record<string, unknown>,
  idempotencyKey: string,
): Promise<SendResult> {
  try {
    const response = await fetch(`${ingestUrl}/v1/events`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${apiKey}`,
        'content-type': 'application/json',
        'idempotency-key': idempotencyKey,
      },
      body: JSON.stringify(event),
      signal: AbortSignal.timeout(30_000),
    });
    const body = (await response.json()) as { eventId?: string };
    const retryAfter = response.headers.get('retry-after');
    return {
      status: response.status,
      ...(body.eventId ? { eventId: body.eventId } : {}),
      ...(retryAfter ? { retryAfter: Number(retryAfter) } : {}),
    };
  } catch {
    return { status: 0 };
  }
}

export type BatchAnswer = {
  status: number;
  body: { accepted: number; results: { status: string; eventId?: string }[] };
};

/** `POST /v1/events/batch` as a producer sends it; the answer's status and per-item results. */
export async function sendBatch(
  ingestUrl: string,
  apiKey: string,
  events: Record<string, unknown>[],
): Promise<BatchAnswer> {
  const response = await fetch(`${ingestUrl}/v1/events/batch`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ events }),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: response.status, body: (await response.json()) as BatchAnswer['body'] };
}

/** Status counts of a set of event ids, read in chunks. */
export async function statusesOf(
  firestore: Firestore,
  eventIds: string[],
): Promise<Map<string, string>> {
  const statuses = new Map<string, string>();
  for (let i = 0; i < eventIds.length; i += 300) {
    const refs = eventIds.slice(i, i + 300).map((id) => firestore.collection('events').doc(id));
    const snapshots = await firestore.getAll(...refs);
    for (const snapshot of snapshots)
      if (snapshot.exists) statuses.set(snapshot.id, String(snapshot.get('status')));
  }
  return statuses;
}

export async function waitUntilProcessed(
  firestore: Firestore,
  eventIds: string[],
  timeoutMs: number,
): Promise<Map<string, string>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const statuses = await statusesOf(firestore, eventIds);
    const done = [...statuses.values()].filter((s) => s === 'PROCESSED').length;
    if (done === eventIds.length || Date.now() > deadline) return statuses;
    await sleep(1000);
  }
}

/**
 * Adds values to the suite's list of secrets: at the end every captured log line of
 * every stack is scanned for each of them.
 */
export function watchSecret(...secrets: string[]): void {
  const file = inject('faultCapture').secretsFile;
  for (const secret of secrets) appendFileSync(file, `${JSON.stringify(secret)}\n`);
}

/** Secrets that must never appear in a log line. */
export function leakedSecrets(logs: string[], secrets: string[]): string[] {
  const text = logs.join('');
  return secrets.filter((secret) => secret.length > 0 && text.includes(secret));
}
