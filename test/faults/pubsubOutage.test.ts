import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { applyPubSubSpec, topicPushPath } from '../../infra/applyPubSub.ts';
import {
  freePort,
  sleep,
  startEmulator,
  type RunningEmulator,
} from '../../scripts/lib/emulators.ts';
import { recordFault } from './faultLedger.ts';
import {
  leakedSecrets,
  sendBatch,
  sendEvent,
  startStack,
  waitUntilProcessed,
  type SendResult,
  type StackHarness,
} from './stackHarness.ts';

/** Fifty events without idempotency keys, or each with its own. */
const batchEvents = (from: number, keys?: string[]) =>
  Array.from({ length: 50 }, (_, n) => ({
    eventType: 'order.placed',
    payload: { n: from + n },
    ...(keys ? { idempotencyKey: keys[n] } : {}),
  }));

/**
 * Pub/Sub goes away while producers keep sending. The emulator keeps its state in
 * memory only (unlike Pub/Sub), so what was accepted before the outage is processed
 * before it starts, and the spec is applied again after the restart.
 */
describe('a Pub/Sub outage while producers keep sending', () => {
  let emulator: RunningEmulator;
  let port: number;
  let harness: StackHarness;
  const environment = {
    PUBLISH_TIMEOUT_MS: process.env.PUBLISH_TIMEOUT_MS,
    RETRY_AFTER_SECONDS: process.env.RETRY_AFTER_SECONDS,
  };

  beforeAll(async () => {
    port = await freePort();
    emulator = await startEmulator('pubsub', port);
    // The function processes inherit these: fail a publish fast, and ask producers to come back soon.
    process.env.PUBLISH_TIMEOUT_MS = '1500';
    process.env.RETRY_AFTER_SECONDS = '1';
    harness = await startStack({
      label: 'outage',
      pubsubEmulatorHost: emulator.host,
      firestoreEmulatorHost: inject('firestoreEmulatorHost'),
    });
  });
  afterAll(async () => {
    await harness.close();
    await emulator.stop();
    for (const [name, value] of Object.entries(environment)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('answers 503 with Retry-After, never 202, and a retry with the same key gets every event in exactly once', async () => {
    const { stack } = harness;
    const send = (key: string, n: number) =>
      sendEvent(
        stack.info.ingestUrl,
        stack.info.apiKey,
        { eventType: 'order.placed', payload: { n } },
        key,
      );

    const batch = (events: Record<string, unknown>[]) =>
      sendBatch(stack.info.ingestUrl, stack.info.apiKey, events);

    const before = await Promise.all(Array.from({ length: 200 }, (_, n) => send(randomUUID(), n)));
    expect(before.every((r) => r.status === 202)).toBe(true);
    const beforeIds = before.map((r) => r.eventId!);
    await waitUntilProcessed(harness.firestore, beforeIds, 120_000);

    await emulator.stop();
    const duringKeys = Array.from({ length: 100 }, () => randomUUID());
    const during: SendResult[] = [];
    for (let i = 0; i < duringKeys.length; i += 20) {
      during.push(
        ...(await Promise.all(
          duringKeys.slice(i, i + 20).map((key, j) => send(key, 1000 + i + j)),
        )),
      );
    }
    expect(during.filter((r) => r.status === 202)).toEqual([]);
    expect(during.every((r) => r.status === 503 && (r.retryAfter ?? 0) >= 1)).toBe(true);
    // A batch without idempotency keys shares one publish call: every item is refused, none taken.
    const refusedBatch = await batch(batchEvents(2000));
    expect(refusedBatch.status).toBe(503);
    expect(refusedBatch.body.accepted).toBe(0);
    expect(refusedBatch.body.results.every((r) => r.status === 'unavailable')).toBe(true);
    // So is a batch whose items carry keys: the keys are claimed, the message is refused.
    const itemKeys = Array.from({ length: 50 }, () => randomUUID());
    const refusedKeyed = await batch(batchEvents(3000, itemKeys));
    expect(refusedKeyed.status).toBe(503);
    expect(refusedKeyed.body.results.every((r) => r.status === 'unavailable')).toBe(true);

    emulator = await startEmulator('pubsub', port);
    await applyPubSubSpec(harness.pubsub, {
      profile: 'test',
      pushEndpoint: (fn, subscription) =>
        `${stack.info.functionUrls[fn]}${topicPushPath(stack.info.projectId, subscription.topic)}`,
    });

    // Producers retry what was refused, with the same keys, honouring Retry-After.
    const retriedIds: string[] = [];
    for (const [i, key] of duringKeys.entries()) {
      let result = await send(key, 1000 + i);
      for (
        let attempt = 0;
        attempt < 60 && result.status !== 200 && result.status !== 202;
        attempt += 1
      ) {
        await sleep((result.retryAfter ?? 1) * 1000);
        result = await send(key, 1000 + i);
      }
      expect([200, 202]).toContain(result.status);
      retriedIds.push(result.eventId!);
    }

    // The refused batch, sent again once Pub/Sub is back, goes in whole.
    let resentBatch = await batch(batchEvents(2000));
    for (let attempt = 0; attempt < 30 && resentBatch.status !== 202; attempt += 1) {
      await sleep(1000);
      resentBatch = await batch(batchEvents(2000));
    }
    expect(resentBatch.status).toBe(202);
    const batchIds = resentBatch.body.results.map((r) => r.eventId!);
    expect(batchIds).toHaveLength(50);
    // The keyed batch sent again: each item goes in once, under the id its key was given.
    const resentKeyed = await batch(batchEvents(3000, itemKeys));
    expect(resentKeyed.status).toBe(202);
    const keyedIds = resentKeyed.body.results.map((r) => r.eventId!);
    expect(new Set(keyedIds).size).toBe(50);
    const again = await batch(batchEvents(3000, itemKeys));
    expect(again.body.results.map((r) => r.eventId)).toEqual(keyedIds);

    const allIds = [...beforeIds, ...retriedIds, ...batchIds, ...keyedIds];
    const statuses = await waitUntilProcessed(harness.firestore, allIds, 180_000);
    const lost = allIds.filter((id) => statuses.get(id) !== 'PROCESSED').length;
    const duplicated = allIds.length - new Set(allIds).size;
    recordFault(inject('faultLedger'), {
      scenario: 'Pub/Sub emulator stopped and restarted',
      faultsInjected: 1,
      eventsSent: allIds.length,
      lost,
      duplicated,
      serverErrorsOnBadInput: 0,
      note: `${during.length} requests and two batches of 50 (one with item keys) answered 503 during the outage, 0 × 202`,
    });
    expect(lost).toBe(0);
    expect(duplicated).toBe(0);
    expect(leakedSecrets(harness.logs, [stack.info.apiKey, stack.info.adminToken])).toEqual([]);
  });
});
