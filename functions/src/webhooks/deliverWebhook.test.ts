import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SecretBox } from '../lib/encryption.ts';
import { isRetriable } from '../lib/errors.ts';
import { createLogger } from '../lib/logger.ts';
import type { PushedMessage } from '../lib/pushedMessage.ts';
import type { SendResult } from './classifyResponse.ts';
import type { DeliveryRecord } from './delivery.ts';
import { encodeDeliveryMessage } from './deliveryMessage.ts';
import type { DeliveryStore, DeliveryVersion, StoredDelivery } from './deliveryStore.ts';
import { deliverWebhook, secretContext, type DeliveryDeps } from './deliverWebhook.ts';
import { newEndpoint, newEndpointId, type WebhookEndpoint } from './endpoint.ts';
import type { DisabledReason, EndpointStore } from './endpointStore.ts';
import type { HealthOutcome, HealthRecorder } from './healthRecorder.ts';
import type { WebhookRequest, WebhookSender } from './httpSender.ts';
import { generateSigningSecret } from './signWebhook.ts';
import { verifyWebhook } from './verifyWebhook.ts';

/** Tiny in-memory versions of our own interfaces: the flow, without Firestore or HTTP. */
class MemoryDeliveries implements DeliveryStore {
  readonly records = new Map<string, { record: DeliveryRecord; version: number }>();
  get(eventId: string, endpointId: string): Promise<StoredDelivery | undefined> {
    const found = this.records.get(`${eventId}/${endpointId}`);
    return Promise.resolve(
      found && { record: found.record, version: found.version as unknown as DeliveryVersion },
    );
  }
  put(
    next: DeliveryRecord,
    expected: DeliveryVersion | undefined,
  ): Promise<'written' | 'conflict'> {
    const id = `${next.eventId}/${next.endpointId}`;
    const current = this.records.get(id);
    if ((current?.version as unknown) !== expected) return Promise.resolve('conflict');
    this.records.set(id, { record: next, version: (current?.version ?? 0) + 1 });
    return Promise.resolve('written');
  }
  listForEvent(): Promise<DeliveryRecord[]> {
    return Promise.resolve([...this.records.values()].map((r) => r.record));
  }
  listFailed(): Promise<StoredDelivery[]> {
    return Promise.resolve([]);
  }
  listRecent(): Promise<DeliveryRecord[]> {
    return this.listForEvent();
  }
  listRecentFailures(): Promise<DeliveryRecord[]> {
    return Promise.resolve([]);
  }
}

class MemoryEndpoints implements Pick<EndpointStore, 'get'> {
  readonly endpoint: WebhookEndpoint | undefined;
  constructor(stored: WebhookEndpoint | undefined) {
    this.endpoint = stored;
  }
  get(): Promise<WebhookEndpoint | undefined> {
    return Promise.resolve(this.endpoint);
  }
}

/** Keeps the outcomes; disables (says so) after `limit` failures, or at once on a 410. */
class MemoryHealth implements HealthRecorder {
  readonly outcomes: HealthOutcome[] = [];
  readonly limit: number;
  constructor(limit = 100) {
    this.limit = limit;
  }
  record(_endpoint: WebhookEndpoint, outcome: HealthOutcome): Promise<DisabledReason | null> {
    this.outcomes.push(outcome);
    if (outcome.kind === 'delivered') return Promise.resolve(null);
    if (outcome.gone) return Promise.resolve('endpoint_gone');
    const failures = this.outcomes.filter((o) => o.kind === 'failed').length;
    return Promise.resolve(failures >= this.limit ? 'consecutive_failures' : null);
  }
  flush(): Promise<void> {
    return Promise.resolve();
  }
}

class ScriptedSender implements WebhookSender {
  readonly requests: WebhookRequest[] = [];
  readonly answers: SendResult[];
  constructor(answers: SendResult[]) {
    this.answers = answers;
  }
  send(request: WebhookRequest): Promise<SendResult> {
    this.requests.push(request);
    return Promise.resolve(
      this.answers.shift() ?? { kind: 'response', statusCode: 200, latencyMs: 1, excerpt: '' },
    );
  }
}

const box = new SecretBox({ id: 'k1', key: randomBytes(32) });
const secret = generateSigningSecret();

function endpoint(overrides: Partial<WebhookEndpoint> = {}): WebhookEndpoint {
  const id = overrides.id ?? newEndpointId();
  const now = new Date();
  const secrets = [
    { ciphertext: box.encrypt(secret, secretContext(id)), createdAt: now, expiresAt: null },
  ];
  const settings = { id, url: 'https://hooks.example.com/', description: null, secrets };
  return {
    ...newEndpoint({ ...settings, eventTypes: ['page.*'], enabled: true }, now),
    ...overrides,
  };
}

function setup(
  target: WebhookEndpoint | undefined,
  answers: SendResult[] = [],
  secrets: SecretBox | null = box,
  limit = 100,
) {
  const deliveries = new MemoryDeliveries();
  const endpoints = new MemoryEndpoints(target);
  const health = new MemoryHealth(limit);
  const sender = new ScriptedSender(answers);
  const deps: DeliveryDeps = {
    endpoints: endpoints as unknown as EndpointStore,
    health,
    deliveries,
    secrets: secrets ?? undefined,
    sender,
    now: () => new Date(),
    ttlDays: 30,
    timeoutMs: 1000,
    logger: createLogger({ level: 'silent' }),
  };
  const now = new Date().toISOString();
  const eventId = randomUUID();
  const outgoing = encodeDeliveryMessage({
    endpointId: target?.id ?? newEndpointId(),
    event: {
      eventId,
      eventType: 'page.viewed',
      payload: { a: 1 },
      occurredAt: now,
      receivedAt: now,
      processedAt: now,
      source: 'api',
      producer: 'key_1',
    },
  });
  const message: PushedMessage = {
    messageId: '1',
    data: outgoing.data,
    attributes: outgoing.attributes,
    publishTime: undefined,
  };
  return { deps, deliveries, health, sender, message, eventId };
}

const status = (statusCode: number): SendResult => ({
  kind: 'response',
  statusCode,
  latencyMs: 3,
  excerpt: '',
});

describe('deliverWebhook', () => {
  it('signs what it sends with the endpoint secret, and does not send a delivered event again', async () => {
    const { deps, sender, message, eventId } = setup(endpoint());
    expect(await deliverWebhook(message, deps)).toEqual({ kind: 'delivered', attempts: 1 });
    const [request] = sender.requests;
    expect(request?.headers['webhook-id']).toBe(eventId);
    expect(verifyWebhook({ body: request!.body, headers: request!.headers, secret })).toEqual({
      ok: true,
    });
    expect(JSON.parse(request!.body)).not.toHaveProperty('data.producer');
    expect(await deliverWebhook(message, deps)).toEqual({
      kind: 'skipped',
      reason: 'already_delivered',
    });
    expect(sender.requests).toHaveLength(1);
  });

  it('throws a retriable error for a 503 and logs the attempt', async () => {
    const { deps, deliveries, health, message } = setup(endpoint(), [status(503)]);
    const failure = await deliverWebhook(message, deps).catch((error: unknown) => error);
    expect(isRetriable(failure)).toBe(true);
    expect([...deliveries.records.values()][0]?.record.status).toBe('retrying');
    expect(health.outcomes).toMatchObject([
      { kind: 'failed', error: { code: 'http_503' }, gone: false },
    ]);
  });

  it('the failure the recorder finds at the limit is kept as endpoint_disabled, not retried', async () => {
    const { deps, deliveries, message } = setup(endpoint(), [status(503)], box, 1);
    expect(await deliverWebhook(message, deps)).toEqual({
      kind: 'endpoint_disabled',
      code: 'http_503',
    });
    expect([...deliveries.records.values()][0]?.record.status).toBe('endpoint_disabled');
  });

  it('a 410 disables at once; a success after a failure is recorded as ending a run', async () => {
    const gone = setup(endpoint(), [status(410)]);
    expect(await deliverWebhook(gone.message, gone.deps)).toMatchObject({
      kind: 'endpoint_disabled',
    });
    expect(gone.health.outcomes).toMatchObject([{ kind: 'failed', gone: true }]);

    const { deps, health, message } = setup(endpoint(), [status(500), status(200)]);
    await deliverWebhook(message, deps).catch(() => undefined);
    expect(await deliverWebhook(message, deps)).toEqual({ kind: 'delivered', attempts: 2 });
    expect(health.outcomes.map((o) => o.kind)).toEqual(['failed', 'delivered']);
    expect(health.outcomes[1]).toEqual({ kind: 'delivered', afterFailures: true });
  });

  it('a first-time success is recorded without a run to end', async () => {
    const { deps, health, message } = setup(endpoint());
    await deliverWebhook(message, deps);
    expect(health.outcomes).toEqual([{ kind: 'delivered', afterFailures: false }]);
  });

  it('acknowledges a permanent failure', async () => {
    const { deps, deliveries, message } = setup(endpoint(), [status(404)]);
    expect(await deliverWebhook(message, deps)).toEqual({ kind: 'failed', code: 'http_404' });
    expect([...deliveries.records.values()][0]?.record.status).toBe('failed');
  });

  it('keeps a delivery for a disabled or deleted endpoint without sending', async () => {
    for (const [target, reason] of [
      [endpoint({ enabled: false }), 'endpoint_disabled'],
      [undefined, 'endpoint_deleted'],
    ] as const) {
      const { deps, sender, deliveries, message } = setup(target);
      expect(await deliverWebhook(message, deps)).toEqual({ kind: 'held', reason });
      expect(sender.requests).toHaveLength(0);
      expect([...deliveries.records.values()][0]?.record.event).not.toBeNull();
    }
  });

  it('without the encryption key retries rather than losing the delivery', async () => {
    const { deps, sender, message } = setup(endpoint(), [], null);
    const failure = await deliverWebhook(message, deps).catch((error: unknown) => error);
    expect(isRetriable(failure)).toBe(true);
    expect(sender.requests).toHaveLength(0);
  });

  it('acknowledges a message that is not a delivery', async () => {
    const { deps, message } = setup(endpoint());
    const outcome = await deliverWebhook({ ...message, data: Buffer.from('{}') }, deps);
    expect(outcome.kind).toBe('rejected');
  });
});
