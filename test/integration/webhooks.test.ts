import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collections, maxWebhookDeliveryAttempts, topics } from '../../infra/spec.ts';
import type { EventEnvelope } from '../../functions/src/lib/eventEnvelope.ts';
import { eventMessage } from '../../functions/src/lib/eventMessages.ts';
import { secretContext } from '../../functions/src/webhooks/deliverWebhook.ts';
import { generateSigningSecret } from '../../functions/src/webhooks/signWebhook.ts';
import { sleep } from '../../scripts/lib/emulators.ts';
import { encodeDeliveryMessage } from '../../functions/src/webhooks/deliveryMessage.ts';
import { CountingPublisher } from '../support/counting.ts';
import { TestReceiver } from '../support/receiver.ts';
import { eventually, postJson, startTestPipeline, type TestPipeline } from '../support/pipeline.ts';

type Endpoint = { id: string; secret: string; url: string };
type Delivery = {
  endpointId: string;
  status: string;
  attemptCount: number;
  attempts: { statusCode: number | null; outcome: string; responseExcerpt: string | null }[];
  lastError: { code: string } | null;
};

/** Cache lifetime of the endpoint list in processEvent, so new endpoints are seen quickly. */
const cacheSeconds = 1;

function envelope(eventType: string): EventEnvelope {
  const now = new Date().toISOString();
  return {
    eventId: randomUUID(),
    eventType,
    payload: { n: 1, text: 'Grüße ✓' },
    occurredAt: now,
    receivedAt: now,
    source: 'api',
    producer: 'key_test',
  };
}

function api(pipeline: TestPipeline) {
  const headers = { authorization: `Bearer ${pipeline.adminToken}` };
  return {
    post: (path: string, body: unknown) => postJson(`${pipeline.urls.api}${path}`, body, headers),
    patch: (path: string, body: unknown) =>
      fetch(`${pipeline.urls.api}${path}`, {
        method: 'PATCH',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
    get: (path: string) => fetch(`${pipeline.urls.api}${path}`, { headers }),
    delete: (path: string) => fetch(`${pipeline.urls.api}${path}`, { method: 'DELETE', headers }),
  };
}

async function createEndpoint(
  pipeline: TestPipeline,
  url: string,
  eventTypes: string[],
): Promise<Endpoint> {
  const response = await api(pipeline).post('/v1/webhook-endpoints', { url, eventTypes });
  expect(response.status).toBe(201);
  const body = (await response.json()) as Endpoint;
  expect(body.secret).toMatch(/^whsec_/);
  return body;
}

async function publish(pipeline: TestPipeline, event: EventEnvelope): Promise<void> {
  await pipeline.pubsub.topic(topics.events.name).publishMessage(eventMessage(event));
}

async function deliveries(pipeline: TestPipeline, eventId: string): Promise<Delivery[]> {
  const response = await api(pipeline).get(`/v1/events/${eventId}`);
  if (response.status !== 200) return [];
  return ((await response.json()) as { deliveries: Delivery[] }).deliveries;
}

async function waitForDelivery(
  pipeline: TestPipeline,
  eventId: string,
  status: string,
  timeoutMs = 20_000,
): Promise<Delivery> {
  return eventually(
    async () => (await deliveries(pipeline, eventId)).find((d) => d.status === status),
    { timeoutMs, what: `delivery of ${eventId} to be ${status}` },
  );
}

describe('webhook forwarding to real receivers on 127.0.0.1', () => {
  let pipeline: TestPipeline;
  let receiver: TestReceiver;
  let publisher: CountingPublisher;
  const endpoints: Record<string, Endpoint> = {};

  beforeAll(async () => {
    pipeline = await startTestPipeline({
      label: 'webhooks',
      env: { WEBHOOK_ENDPOINT_CACHE_SECONDS: String(cacheSeconds), WEBHOOK_TIMEOUT_MS: '3000' },
      overrides: (base) => {
        publisher = new CountingPublisher(base.publisher);
        return { publisher };
      },
    });
    receiver = await TestReceiver.start();
    receiver.behave('/flaky', (nth) => (nth <= 3 ? 500 : 200));
    receiver.behave('/gone', () => 410);
    receiver.behave('/down', () => 503);
    receiver.behave('/bad', () => 400);
    for (const name of ['ok', 'flaky', 'gone', 'down', 'bad']) {
      endpoints[name] = await createEndpoint(pipeline, receiver.url(`/${name}`), [`${name}.*`]);
    }
    await sleep(cacheSeconds * 1000 + 100);
  });
  afterAll(async () => {
    await pipeline.close();
    await receiver.close();
  });

  it('delivers a signed request that an independent Standard Webhooks library verifies', async () => {
    const response = await postJson(
      `${pipeline.urls.ingest}/v1/events`,
      { eventType: 'ok.signed', payload: { order: 42, note: 'Grüße ✓' }, userId: 'u-1' },
      { authorization: `Bearer ${pipeline.apiKey}` },
    );
    expect(response.status).toBe(202);
    const { eventId } = (await response.json()) as { eventId: string };
    const delivery = await waitForDelivery(pipeline, eventId, 'delivered');
    expect(delivery).toMatchObject({ endpointId: endpoints.ok!.id, attemptCount: 1 });
    expect(delivery.attempts[0]).toMatchObject({ statusCode: 200, outcome: 'delivered' });

    const [request] = receiver.received('/ok', eventId);
    expect(request).toBeDefined();
    const verified = new Webhook(endpoints.ok!.secret).verify(request!.body, {
      'webhook-id': String(request!.headers['webhook-id']),
      'webhook-timestamp': String(request!.headers['webhook-timestamp']),
      'webhook-signature': String(request!.headers['webhook-signature']),
    });
    expect(verified).toMatchObject({
      type: 'ok.signed',
      data: { eventId, eventType: 'ok.signed', payload: { order: 42, note: 'Grüße ✓' } },
    });
    expect(request!.headers['content-type']).toBe('application/json');
  });

  it('after a secret rotation signs with both secrets until the old one expires', async () => {
    const rotated = await api(pipeline).post(
      `/v1/webhook-endpoints/${endpoints.ok!.id}/rotate-secret`,
      { graceSeconds: 3600 },
    );
    expect(rotated.status).toBe(200);
    const { secret } = (await rotated.json()) as { secret: string };
    expect(secret).not.toBe(endpoints.ok!.secret);
    const event = envelope('ok.rotated');
    await publish(pipeline, event);
    await waitForDelivery(pipeline, event.eventId, 'delivered');
    const [request] = receiver.received('/ok', event.eventId);
    const headers = {
      'webhook-id': String(request!.headers['webhook-id']),
      'webhook-timestamp': String(request!.headers['webhook-timestamp']),
      'webhook-signature': String(request!.headers['webhook-signature']),
    };
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    for (const key of [secret, endpoints.ok!.secret]) {
      expect(new Webhook(key).verify(request!.body, headers)).toMatchObject({ type: 'ok.rotated' });
    }
    endpoints.ok = { ...endpoints.ok!, secret };
  });

  it('keeps the secret encrypted at rest', async () => {
    const doc = await pipeline.firestore
      .collection(collections.webhookEndpoints.name)
      .doc(endpoints.flaky!.id)
      .get();
    const stored = JSON.stringify(doc.data());
    const key = endpoints.flaky!.secret.slice('whsec_'.length);
    expect(stored).not.toContain(key);
    expect(
      doc.get('secrets.0.ciphertext') ??
        (doc.get('secrets') as { ciphertext: string }[])[0]?.ciphertext,
    ).toMatch(/^v1\./);
  });

  it('a receiver that fails three times then recovers gets the event once, four attempts logged', async () => {
    const event = envelope('flaky.sent');
    await publish(pipeline, event);
    const delivery = await waitForDelivery(pipeline, event.eventId, 'delivered');
    expect(delivery.attemptCount).toBe(4);
    expect(delivery.attempts.map((a) => a.statusCode)).toEqual([500, 500, 500, 200]);
    expect(delivery.attempts[0]?.responseExcerpt).toBe('answer 500');
    await sleep(1500);
    const requests = receiver.received('/flaky', event.eventId);
    expect(requests.map((r) => r.status)).toEqual([500, 500, 500, 200]);
    expect(new Set(requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([event.eventId]));

    const endpoint = (await (
      await api(pipeline).get(`/v1/webhook-endpoints/${endpoints.flaky!.id}`)
    ).json()) as {
      enabled: boolean;
      stats: { consecutiveFailures: number; failedAttempts: number; recoveredAt: string | null };
    };
    expect(endpoint).toMatchObject({
      enabled: true,
      stats: { consecutiveFailures: 0, failedAttempts: 3 },
    });
    expect(endpoint.stats.recoveredAt).not.toBeNull();
  });

  it('a redelivered event is sent once, and a delivered delivery is not sent again', async () => {
    const event = envelope('ok.twice');
    await publish(pipeline, event);
    await waitForDelivery(pipeline, event.eventId, 'delivered');
    const fannedOut = publisher.byTopic.get(topics.deliveries.name) ?? 0;
    await publish(pipeline, event);
    await sleep(2000);
    // A redelivery publishes the delivery message again; the delivered delivery skips it.
    expect(publisher.byTopic.get(topics.deliveries.name)).toBe(fannedOut + 1);

    // A duplicate of the delivery message itself (Pub/Sub is at-least-once).
    await pipeline.pubsub.topic(topics.deliveries.name).publishMessage(
      encodeDeliveryMessage({
        endpointId: endpoints.ok!.id,
        event: { ...event, processedAt: new Date().toISOString() },
      }),
    );
    await sleep(2000);
    expect(receiver.received('/ok', event.eventId)).toHaveLength(1);
    const [delivery] = await deliveries(pipeline, event.eventId);
    expect(delivery).toMatchObject({ status: 'delivered', attemptCount: 1 });
  });

  it('410 disables the endpoint at once; later deliveries are kept, then replayed', async () => {
    const first = envelope('gone.sent');
    await publish(pipeline, first);
    const disabled = await waitForDelivery(pipeline, first.eventId, 'endpoint_disabled');
    expect(disabled.attempts.map((a) => a.statusCode)).toEqual([410]);
    const endpointUrl = `/v1/webhook-endpoints/${endpoints.gone!.id}`;
    expect(await (await api(pipeline).get(endpointUrl)).json()).toMatchObject({
      enabled: false,
      disabledReason: 'endpoint_gone',
    });

    const second = envelope('gone.later');
    await publish(pipeline, second);
    const held = await waitForDelivery(pipeline, second.eventId, 'endpoint_disabled');
    expect(held.attemptCount).toBe(0);
    expect(receiver.received('/gone', second.eventId)).toHaveLength(0);

    // Replaying needs the endpoint enabled again.
    const refused = await api(pipeline).post(
      `/v1/events/${second.eventId}/deliveries/${endpoints.gone!.id}/replay`,
      {},
    );
    expect(refused.status).toBe(409);
    receiver.behave('/gone', () => 200);
    expect((await api(pipeline).patch(endpointUrl, { enabled: true })).status).toBe(200);

    const one = await api(pipeline).post(
      `/v1/events/${first.eventId}/deliveries/${endpoints.gone!.id}/replay`,
      {},
    );
    expect(one.status).toBe(202);
    const replayedFirst = await waitForDelivery(pipeline, first.eventId, 'delivered');
    expect(replayedFirst.attempts.map((a) => a.statusCode)).toEqual([410, 200]);

    const window = await api(pipeline).post(`${endpointUrl}/replay`, {
      from: new Date(Date.now() - 3_600_000).toISOString(),
      to: new Date(Date.now() + 60_000).toISOString(),
    });
    expect(window.status).toBe(202);
    expect(await window.json()).toMatchObject({ replayed: 1, more: false });
    await waitForDelivery(pipeline, second.eventId, 'delivered');
    expect(receiver.received('/gone', second.eventId).map((r) => r.status)).toEqual([200]);

    const again = await api(pipeline).post(
      `/v1/events/${first.eventId}/deliveries/${endpoints.gone!.id}/replay`,
      {},
    );
    expect(again.status).toBe(409);
  });

  it('a 400 is a permanent failure: one attempt, not retried', async () => {
    const event = envelope('bad.sent');
    await publish(pipeline, event);
    const failed = await waitForDelivery(pipeline, event.eventId, 'failed');
    expect(failed).toMatchObject({ attemptCount: 1, lastError: { code: 'http_400' } });
    await sleep(1500);
    expect(receiver.received('/bad', event.eventId)).toHaveLength(1);
  });

  it("lists an endpoint's recent deliveries, newest first, and its failures apart", async () => {
    type Listed = { eventId: string; status: string; attemptCount: number; lastError: unknown };
    type Lists = { endpointId: string; recent: Listed[]; failures: Listed[] };
    const good = envelope('ok.listed');
    await publish(pipeline, good);
    await waitForDelivery(pipeline, good.eventId, 'delivered');
    const bad = [envelope('bad.listed'), envelope('bad.listed')];
    for (const event of bad) {
      await publish(pipeline, event);
      await waitForDelivery(pipeline, event.eventId, 'failed');
      await sleep(5);
    }
    const ok = (await (
      await api(pipeline).get(`/v1/webhook-endpoints/${endpoints.ok!.id}/deliveries`)
    ).json()) as Lists;
    expect(ok.recent.map((d) => d.eventId)).toContain(good.eventId);
    expect(ok.recent.find((d) => d.eventId === good.eventId)).toMatchObject({
      status: 'delivered',
      attemptCount: 1,
      lastError: null,
    });
    expect(ok.failures).toEqual([]);
    // Neither list carries the attempt log or the event body.
    expect(Object.keys(ok.recent[0]!)).not.toContain('attempts');
    expect(Object.keys(ok.recent[0]!)).not.toContain('event');

    const failing = (await (
      await api(pipeline).get(`/v1/webhook-endpoints/${endpoints.bad!.id}/deliveries`)
    ).json()) as Lists;
    const newest = [bad[1]!.eventId, bad[0]!.eventId];
    expect(failing.failures.slice(0, 2).map((d) => d.eventId)).toEqual(newest);
    expect(failing.recent.slice(0, 2).map((d) => d.eventId)).toEqual(newest);
    expect(failing.failures[0]).toMatchObject({
      status: 'failed',
      lastError: { code: 'http_400' },
    });

    const unknown = await api(pipeline).get(
      '/v1/webhook-endpoints/ep_AAAAAAAAAAAAAAAAAAAAAA/deliveries',
    );
    expect(unknown.status).toBe(404);
    const badLimit = await api(pipeline).get(
      `/v1/webhook-endpoints/${endpoints.ok!.id}/deliveries?limit=500`,
    );
    expect(badLimit.status).toBe(400);
  });

  it(`a receiver that always fails is exhausted after ${maxWebhookDeliveryAttempts} attempts, every one logged`, async () => {
    const event = envelope('down.sent');
    await publish(pipeline, event);
    // The emulator waits about three seconds between pushes, whatever the backoff asks.
    const exhausted = await waitForDelivery(pipeline, event.eventId, 'exhausted', 100_000);
    expect(exhausted.attemptCount).toBe(maxWebhookDeliveryAttempts);
    expect(exhausted.attempts).toHaveLength(maxWebhookDeliveryAttempts);
    expect(exhausted.attempts.every((a) => a.statusCode === 503 && a.outcome === 'retry')).toBe(
      true,
    );
    expect(receiver.received('/down', event.eventId)).toHaveLength(maxWebhookDeliveryAttempts);
    await sleep(1500);
    expect(receiver.received('/down', event.eventId)).toHaveLength(maxWebhookDeliveryAttempts);
  }, 120_000);
});

describe('an endpoint that keeps failing across deliveries', () => {
  let pipeline: TestPipeline;
  let receiver: TestReceiver;

  beforeAll(async () => {
    pipeline = await startTestPipeline({
      label: 'webhook-disable',
      env: {
        WEBHOOK_ENDPOINT_CACHE_SECONDS: String(cacheSeconds),
        WEBHOOK_DISABLE_AFTER_FAILURES: '3',
      },
    });
    receiver = await TestReceiver.start();
    receiver.behave('/down', () => 500);
  });
  afterAll(async () => {
    await pipeline.close();
    await receiver.close();
  });

  it('is disabled after the configured run of failures; the delivery is kept for replay', async () => {
    const endpoint = await createEndpoint(pipeline, receiver.url('/down'), ['down.*']);
    await sleep(cacheSeconds * 1000 + 100);
    const event = envelope('down.sent');
    await publish(pipeline, event);
    const held = await waitForDelivery(pipeline, event.eventId, 'endpoint_disabled');
    expect(held.attemptCount).toBe(3);
    expect(
      await (await api(pipeline).get(`/v1/webhook-endpoints/${endpoint.id}`)).json(),
    ).toMatchObject({
      enabled: false,
      disabledReason: 'consecutive_failures',
      stats: { consecutiveFailures: 3 },
    });
    await sleep(1500);
    expect(receiver.received('/down', event.eventId)).toHaveLength(3);
  });
});

describe('webhook URLs that could reach our own network', () => {
  let pipeline: TestPipeline;
  let receiver: TestReceiver;

  beforeAll(async () => {
    // Without the local-development setting: loopback is refused too.
    pipeline = await startTestPipeline({
      label: 'webhook-ssrf',
      env: {
        WEBHOOK_ALLOW_LOOPBACK: 'false',
        WEBHOOK_ENDPOINT_CACHE_SECONDS: String(cacheSeconds),
      },
    });
    receiver = await TestReceiver.start();
  });
  afterAll(async () => {
    await pipeline.close();
    await receiver.close();
  });

  it.each([
    'http://10.0.0.1/hook',
    'http://172.16.5.4/hook',
    'http://192.168.1.1/hook',
    'http://127.0.0.1:9/hook',
    'http://localhost:9/hook',
    'http://169.254.169.254/computeMetadata/v1/',
    'http://metadata.google.internal/computeMetadata/v1/',
    'http://[::1]/hook',
    'http://[fc00::1]/hook',
    'http://[fe80::1]/hook',
    'http://[::ffff:10.0.0.1]/hook',
    'http://0.0.0.0/hook',
  ])('refuses %s with a 400 naming url', async (url) => {
    const response = await api(pipeline).post('/v1/webhook-endpoints', {
      url,
      eventTypes: ['a.b'],
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { fields: { field: string }[] } };
    expect(body.error.fields.map((f) => f.field)).toEqual(['url']);
  });

  it('checks again at delivery: an endpoint stored with a loopback URL is never called', async () => {
    // Stored directly, as if it had been registered when the rules were different.
    const id = 'ep_AAAAAAAAAAAAAAAAAAAAAA';
    const now = new Date();
    await pipeline.firestore
      .collection(collections.webhookEndpoints.name)
      .doc(id)
      .set({
        url: receiver.url('/internal'),
        eventTypes: ['internal.*'],
        enabled: true,
        secrets: [
          {
            ciphertext: pipeline.runtime.secretBox!.encrypt(
              generateSigningSecret(),
              secretContext(id),
            ),
            createdAt: now,
            expiresAt: null,
          },
        ],
        consecutiveFailures: 0,
        failedAttempts: 0,
        createdAt: now,
        updatedAt: now,
      });
    await sleep(cacheSeconds * 1000 + 100);
    const event = envelope('internal.probe');
    await publish(pipeline, event);
    const failed = await waitForDelivery(pipeline, event.eventId, 'failed');
    expect(failed.lastError?.code).toBe('unsafe_url');
    expect(receiver.requests).toHaveLength(0);
  });
});
