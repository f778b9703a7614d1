import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { collections, maxWebhookDeliveryAttempts } from '../../infra/spec.ts';
import { defaults } from '../../functions/src/lib/defaults.ts';
import { sleep } from '../../scripts/lib/emulators.ts';
import { recordFault } from './faultLedger.ts';
import { FlappingReceiver, type ReceiverMode } from './flappingReceiver.ts';
import { leakedSecrets, startStack, watchSecret, type StackHarness } from './stackHarness.ts';

/** How long the receiver flaps, and how long each of its moods lasts. */
const flappingMs = 45_000;
const phaseMs = 2_500;
/** Bad moods in turn, each followed by a short healthy spell. */
const moods: ReceiverMode[] = ['error', 'timeout', 'refused', 'ok', 'timeout', 'error', 'ok'];
const events = 300;
const batchSize = 20;
/** The sender gives up after this; in `timeout` mode the receiver answers later. */
const senderTimeoutMs = 1_000;
/** How long after the flapping a delivery may stay unsettled before an operator replays it. */
const stallAfterMs = 90_000;

type Delivery = {
  status: string;
  attemptCount: number;
  attempts: { outcome: string; statusCode: number | null; error: { code: string } | null }[];
};

const settled = new Set(['delivered', 'exhausted']);

describe('a webhook receiver that flaps between 200, 5xx, timeouts and refused connections', () => {
  let harness: StackHarness;
  let receiver: FlappingReceiver;
  let endpoint: { id: string; secret: string };

  beforeAll(async () => {
    receiver = await FlappingReceiver.start(senderTimeoutMs * 2);
    harness = await startStack({
      label: 'flapping',
      pubsubEmulatorHost: inject('pubsubEmulatorHost'),
      firestoreEmulatorHost: inject('firestoreEmulatorHost'),
      logLevel: 'debug',
      env: {
        WEBHOOK_TIMEOUT_MS: String(senderTimeoutMs),
        WEBHOOK_ENDPOINT_CACHE_SECONDS: '1',
        // Hundreds of deliveries fail at once during a flap: with the default run of
        // failures the endpoint would be disabled (its deliveries kept for replay). This
        // scenario is about retries, so the endpoint stays enabled.
        WEBHOOK_DISABLE_AFTER_FAILURES: '1000000',
        RATE_LIMIT_PER_SECOND: '10000',
        RATE_LIMIT_BURST: '10000',
      },
    });
    const response = await fetch(`${harness.stack.info.apiUrl}/v1/webhook-endpoints`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${harness.stack.info.adminToken}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ url: receiver.url('/hooks'), eventTypes: ['flap.*'] }),
    });
    if (response.status !== 201)
      throw new Error(`creating the endpoint answered ${response.status}`);
    endpoint = (await response.json()) as { id: string; secret: string };
    watchSecret(endpoint.secret);
    // processEvent reads the endpoint list again within its cache lifetime.
    await sleep(2_000);
  });
  afterAll(async () => {
    await harness.close();
    await receiver.close();
  });

  it(
    'ends every delivery delivered exactly once or exhausted with every attempt logged',
    { timeout: 600_000 },
    async () => {
      const { stack, firestore } = harness;
      const started = Date.now();
      let flaps = 0;
      const flapper = (async () => {
        for (let phase = 0; Date.now() - started < flappingMs; phase += 1) {
          const mood = moods[phase % moods.length]!;
          if (mood !== 'ok') flaps += 1;
          await receiver.setMode(mood);
          await sleep(phaseMs);
        }
        await receiver.setMode('ok');
      })();

      // Events arrive all through the first half of the flapping.
      const ids: string[] = [];
      for (let sent = 0; sent < events; sent += batchSize) {
        const response = await fetch(`${stack.info.ingestUrl}/v1/events/batch`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${stack.info.apiKey}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify({
            events: Array.from({ length: batchSize }, (_, i) => ({
              eventType: 'flap.tick',
              payload: { n: sent + i },
            })),
          }),
        });
        expect(response.status).toBe(202);
        const body = (await response.json()) as { results: { eventId: string }[] };
        ids.push(...body.results.map((r) => r.eventId));
        await sleep(flappingMs / 2 / (events / batchSize));
      }
      await flapper;
      expect(receiver.mode).toBe('ok');

      // Once the receiver is healthy, deliveries settle as Pub/Sub redelivers them.
      const deliveries = new Map<string, Delivery>();
      const settle = async (timeoutMs: number) => {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const pending = ids.filter((id) => !settled.has(deliveries.get(id)?.status ?? ''));
          if (pending.length === 0 || Date.now() > deadline) return pending;
          for (let i = 0; i < pending.length; i += 300) {
            const refs = pending.slice(i, i + 300).map((id) => deliveryDoc(id));
            for (const snapshot of await firestore.getAll(...refs))
              if (snapshot.exists)
                deliveries.set(snapshot.ref.parent.parent!.id, snapshot.data() as Delivery);
          }
          await sleep(1_000);
        }
      };
      const deliveryDoc = (id: string) =>
        firestore.doc(
          `${collections.events.name}/${id}/${collections.deliveries.name}/${endpoint.id}`,
        );
      const stalled = await settle(stallAfterMs);
      // The emulator (unlike Pub/Sub) can stop redelivering a push that failed many
      // times. Such a delivery is not lost: it waits as `retrying` with every attempt in
      // its log, and an operator's replay sends it again.
      for (const id of stalled) {
        const delivery = deliveries.get(id);
        expect(delivery?.status).toBe('retrying');
        expect(delivery!.attempts).toHaveLength(delivery!.attemptCount);
        const replay = await fetch(
          `${stack.info.apiUrl}/v1/events/${id}/deliveries/${endpoint.id}/replay`,
          {
            method: 'POST',
            headers: { authorization: `Bearer ${stack.info.adminToken}` },
          },
        );
        // 409: it was delivered meanwhile.
        expect([202, 409]).toContain(replay.status);
      }
      await settle(120_000);

      const delivered = ids.filter((id) => deliveries.get(id)?.status === 'delivered');
      const exhausted = ids.filter((id) => deliveries.get(id)?.status === 'exhausted');
      const lost = ids.length - delivered.length - exhausted.length;
      const unsettled = new Map<string, number>();
      for (const id of ids) {
        const status = deliveries.get(id)?.status ?? 'no delivery record';
        if (!settled.has(status)) unsettled.set(status, (unsettled.get(status) ?? 0) + 1);
      }
      const successes = (id: string) =>
        deliveries.get(id)!.attempts.filter((a) => a.outcome === 'delivered').length;
      // Counted by what the pipeline recorded: a receiver that took a request after the
      // sender timed out saw it twice, but only one success was recorded.
      const duplicated = delivered.filter((id) => successes(id) > 1).length;
      const seenTwice = ids.filter((id) => (receiver.receipts.get(id)?.length ?? 0) > 1).length;
      const lateAccepted = ids.filter((id) =>
        (receiver.receipts.get(id) ?? []).some((r) => r.mode === 'timeout'),
      ).length;
      const attempts = ids.reduce((sum, id) => sum + (deliveries.get(id)?.attemptCount ?? 0), 0);
      const stored = await firestore
        .collection(collections.webhookEndpoints.name)
        .doc(endpoint.id)
        .get();

      recordFault(inject('faultLedger'), {
        scenario: 'webhook receiver flapping',
        faultsInjected: flaps,
        eventsSent: ids.length,
        lost,
        duplicated,
        serverErrorsOnBadInput: 0,
        note: `${flappingMs / 1000} s: ${delivered.length} delivered, ${exhausted.length} exhausted; ${attempts} attempts; ${seenTwice} ids reached the receiver more than once (${lateAccepted} held past the timeout); ${stalled.length} still retrying after ${stallAfterMs / 1000} s (emulator stopped redelivering), replayed via the API${[...unsettled].map(([status, n]) => `; ${n} ${status}`).join('')}`,
      });

      expect(ids).toHaveLength(events);
      expect(lost).toBe(0);
      expect(duplicated).toBe(0);
      // The flapping was real: deliveries were retried through every kind of failure.
      expect(seenTwice).toBeGreaterThan(0);
      const kinds = new Set(
        ids.flatMap((id) => deliveries.get(id)!.attempts.map((a) => a.error?.code ?? a.outcome)),
      );
      expect([...kinds].filter((kind) => /^http_5\d\d$/.test(kind)).length).toBeGreaterThan(0);
      for (const kind of ['delivered', 'timeout', 'network']) expect(kinds).toContain(kind);
      for (const id of delivered) {
        const delivery = deliveries.get(id)!;
        // One recorded success, the receiver took it in time, and every attempt is in the log.
        expect(successes(id)).toBe(1);
        expect(receiver.accepted(id)).toBeGreaterThanOrEqual(1);
        expect(delivery.attempts).toHaveLength(
          Math.min(delivery.attemptCount, defaults.webhookMaxLoggedAttempts),
        );
        expect(delivery.attempts.at(-1)!.outcome).toBe('delivered');
        // A refused connection never reaches the receiver, so it saw at most the attempts.
        expect(receiver.receipts.get(id)!.length).toBeLessThanOrEqual(delivery.attemptCount);
      }
      for (const id of exhausted) {
        const delivery = deliveries.get(id)!;
        expect(delivery.attemptCount).toBe(maxWebhookDeliveryAttempts);
        expect(delivery.attempts).toHaveLength(maxWebhookDeliveryAttempts);
        expect(successes(id)).toBe(0);
      }
      expect(stored.get('enabled')).toBe(true);
      expect(leakedSecrets(harness.logs, [endpoint.secret, stack.info.adminToken])).toEqual([]);
    },
  );

  it('stores the signing secret only as ciphertext', async () => {
    const snapshot = await harness.firestore
      .collection(collections.webhookEndpoints.name)
      .doc(endpoint.id)
      .get();
    const raw = JSON.stringify(snapshot.data());
    const key = endpoint.secret.slice('whsec_'.length);
    const secrets = snapshot.get('secrets') as { ciphertext: string }[];
    const inClear = [endpoint.secret, key].filter((form) => raw.includes(form)).length;
    recordFault(inject('faultLedger'), {
      scenario: 'security: webhook secret at rest',
      faultsInjected: 0,
      eventsSent: 0,
      lost: 0,
      duplicated: 0,
      serverErrorsOnBadInput: 0,
      note: `raw Firestore document read: ${secrets.length} sealed secret(s), ${inClear} in clear`,
    });
    expect(endpoint.secret).toMatch(/^whsec_/);
    expect(inClear).toBe(0);
    expect(secrets).toHaveLength(1);
    expect(secrets[0]!.ciphertext).toMatch(/^v1\./);
    expect(secrets[0]!.ciphertext).not.toContain(key);
  });
});
