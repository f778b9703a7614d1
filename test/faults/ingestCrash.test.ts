import { randomUUID } from 'node:crypto';
import type { Firestore } from '@google-cloud/firestore';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { collections } from '../../infra/spec.ts';
import { hashApiKey, keyIdOf } from '../../functions/src/ingest/apiKeys.ts';
import { scopedIdempotencyKey } from '../../functions/src/ingest/idempotency.ts';
import {
  freePort,
  sleep,
  startEmulator,
  type RunningEmulator,
} from '../../scripts/lib/emulators.ts';
import { recordFault } from './faultLedger.ts';
import {
  leakedSecrets,
  sendEvent,
  startStack,
  waitUntilProcessed,
  type SendResult,
  type StackHarness,
} from './stackHarness.ts';

const before = 200;
const waiting = 100;
const marker = 'PAYLOAD-MUST-NOT-BE-LOGGED';

const eventOf = (n: number) => ({ eventType: 'order.placed', payload: { n, marker } });

/** Pauses or resumes the emulator's JVM (and its gcloud wrapper): a publish then hangs, unanswered. */
function signalEmulator(emulator: RunningEmulator, signal: 'SIGSTOP' | 'SIGCONT'): void {
  if (emulator.processGroup === undefined) throw new Error('the emulator has no process group');
  process.kill(-emulator.processGroup, signal);
}

function resumeQuietly(emulator: RunningEmulator | undefined): void {
  if (!emulator) return;
  try {
    signalEmulator(emulator, 'SIGCONT');
  } catch {
    // Already gone.
  }
}

/** The event id each key was claimed with, for the keys claimed so far. */
async function claimedIds(
  firestore: Firestore,
  keyId: string,
  keys: readonly string[],
): Promise<Map<string, string>> {
  const refs = keys.map((key) =>
    firestore.collection(collections.idempotencyKeys.name).doc(scopedIdempotencyKey(keyId, key)),
  );
  const snapshots = await firestore.getAll(...refs);
  const claimed = new Map<string, string>();
  snapshots.forEach((snapshot, index) => {
    if (snapshot.exists) claimed.set(keys[index]!, String(snapshot.get('eventId')));
  });
  return claimed;
}

/** Every status document of one producer: its event id, idempotency key and attempts. */
async function producerEvents(
  firestore: Firestore,
  keyId: string,
): Promise<{ eventId: string; idempotencyKey: string; attempts: number }[]> {
  const snapshot = await firestore
    .collection(collections.events.name)
    .where('producer', '==', keyId)
    .select('idempotencyKey', 'attempts')
    .get();
  return snapshot.docs.map((doc) => ({
    eventId: doc.id,
    idempotencyKey: String(doc.get('idempotencyKey')),
    attempts: Number(doc.get('attempts')),
  }));
}

async function waitForHealth(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await sleep(200);
  }
}

/**
 * Requests wait in ingest's group commit behind a publish that Pub/Sub never answers
 * (its emulator paused), and ingest is killed. None of them was answered 202, so nothing
 * acknowledged is lost; retried with their keys, each goes in once under its claimed id.
 */
describe('ingest killed while requests wait in a group', () => {
  let emulator: RunningEmulator | undefined;
  let harness: StackHarness | undefined;

  beforeAll(async () => {
    emulator = await startEmulator('pubsub', await freePort());
    harness = await startStack({
      label: 'ingestcrash',
      pubsubEmulatorHost: emulator.host,
      firestoreEmulatorHost: inject('firestoreEmulatorHost'),
      logLevel: 'info',
      env: {
        RATE_LIMIT_PER_SECOND: '100000',
        RATE_LIMIT_BURST: '100000',
        // Behind a hung publish the group keeps waiting (no timer sends it on), and the
        // hung publish does not end in a 503 before the kill.
        GROUP_COMMIT_MAX_WAIT_MS: '60000',
        PUBLISH_TIMEOUT_MS: '60000',
      },
    });
  });
  afterAll(async () => {
    // A stopped JVM would hang the harness's clean-up and never exit on SIGTERM.
    resumeQuietly(emulator);
    await harness?.close();
    await emulator?.stop();
  });

  it(
    'answers none of them 202, and retries with their keys get every event in exactly once',
    { timeout: 240_000 },
    async () => {
      const { stack, firestore } = harness!;
      const paused = emulator!;
      const keyId = keyIdOf(hashApiKey(stack.info.apiKey));
      const send = (key: string, n: number) =>
        sendEvent(stack.info.ingestUrl, stack.info.apiKey, eventOf(n), key);

      const firstKeys = Array.from({ length: before }, () => randomUUID());
      const first = await Promise.all(firstKeys.map((key, n) => send(key, n)));
      expect(first.map((r) => r.status)).toEqual(first.map(() => 202));
      const firstIds = first.map((r) => r.eventId!);
      // Settled before the pause, so only the waiting requests are in question.
      const settled = await waitUntilProcessed(firestore, firstIds, 60_000);
      expect([...settled.values()].filter((s) => s === 'PROCESSED')).toHaveLength(before);

      const waitingKeys = Array.from({ length: waiting }, () => randomUUID());
      const killed = stack.functionProcess('ingest');
      let answers: SendResult[];
      let claims: Map<string, string>;
      signalEmulator(paused, 'SIGSTOP');
      try {
        const pending = waitingKeys.map((key, i) => send(key, before + i));
        let answered = 0;
        for (const request of pending)
          void request.then(() => {
            answered += 1;
          });
        // Every key claimed means every request has joined the group behind the hung publish.
        const deadline = Date.now() + 30_000;
        do {
          await sleep(200);
          claims = await claimedIds(firestore, keyId, waitingKeys);
        } while (claims.size < waiting && Date.now() < deadline);
        expect(claims.size).toBe(waiting);
        await sleep(1000);
        expect(answered).toBe(0);

        expect(killed?.kill('SIGKILL')).toBe(true);
        answers = await Promise.all(pending);
      } finally {
        signalEmulator(paused, 'SIGCONT');
      }
      // Connections cut by the kill: no answer at all, and never a 202.
      expect(answers.filter((r) => r.status === 202)).toEqual([]);
      const unanswered = answers.filter((r) => r.status === 0).length;

      // The stack brings ingest back as a new process.
      const restartDeadline = Date.now() + 60_000;
      while (stack.functionProcess('ingest') === killed && Date.now() < restartDeadline)
        await sleep(100);
      expect(stack.functionProcess('ingest')).not.toBe(killed);
      await waitForHealth(stack.info.ingestUrl, 60_000);

      // What reached Pub/Sub before the kill is processed without any retry.
      await sleep(3000);
      const beforeRetry = (await producerEvents(firestore, keyId)).length - before;

      const retried: SendResult[] = [];
      for (const [i, key] of waitingKeys.entries()) {
        let result = await send(key, before + i);
        for (
          let attempt = 0;
          attempt < 30 && result.status !== 200 && result.status !== 202;
          attempt += 1
        ) {
          await sleep((result.retryAfter ?? 1) * 1000);
          result = await send(key, before + i);
        }
        retried.push(result);
      }
      expect(retried.filter((r) => r.status !== 200 && r.status !== 202)).toEqual([]);
      const duplicates = retried.filter((r) => r.status === 200).length;
      const retriedIds = retried.map((r) => r.eventId!);
      // Each key keeps the event id it was claimed with before the kill.
      expect(retriedIds).toEqual(waitingKeys.map((key) => claims.get(key)));

      const allIds = [...firstIds, ...retriedIds];
      const statuses = await waitUntilProcessed(firestore, allIds, 120_000);
      const lost = allIds.filter((id) => statuses.get(id) !== 'PROCESSED').length;
      const records = await producerEvents(firestore, keyId);
      const allKeys = [...firstKeys, ...waitingKeys];
      // One status document per event id and per key, and nothing beyond them.
      const duplicated =
        allIds.length -
        new Set(allIds).size +
        (records.length - allIds.length) +
        (records.length - new Set(records.map((r) => r.idempotencyKey)).size);
      recordFault(inject('faultLedger'), {
        scenario: 'ingest killed while requests wait in a group',
        faultsInjected: 1,
        eventsSent: allIds.length,
        lost,
        duplicated,
        serverErrorsOnBadInput: 0,
        note: `Pub/Sub paused, ${waiting} keyed requests held (the first in a hung publish, the rest in its group), ingest SIGKILLed: 0 × 202, ${unanswered} cut off; ${beforeRetry} of them processed before any retry; retries ${duplicates} × 200, ${waiting - duplicates} × 202`,
      });
      expect(lost).toBe(0);
      expect(duplicated).toBe(0);
      expect(new Set(allIds).size).toBe(allKeys.length);
      expect(records.map((r) => r.eventId).sort()).toEqual([...allIds].sort());
      expect(records.map((r) => r.idempotencyKey).sort()).toEqual([...allKeys].sort());
      // Processed once: no second attempt recorded for any of them.
      expect(records.filter((r) => r.attempts !== 1)).toEqual([]);
      expect(harness!.logs.join('')).toContain('[ingest] exited (SIGKILL); restarting');
      expect(
        leakedSecrets(harness!.logs, [stack.info.apiKey, stack.info.adminToken, marker]),
      ).toEqual([]);
    },
  );
});
