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
import type { EndpointChange } from './delivery.ts';
import { newEndpoint, newEndpointId, type WebhookEndpoint } from './endpoint.ts';
import type { EndpointStore } from './endpointStore.ts';
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

class MemoryEndpoints implements Pick<EndpointStore, 'get' | 'recordOutcome'> {
  readonly changes: EndpointChange[] = [];
  readonly endpoint: WebhookEndpoint | undefined;
  constructor(stored: WebhookEndpoint | undefined) {
    this.endpoint = stored;
  }
  get(): Promise<WebhookEndpoint | undefined> {
    return Promise.resolve(this.endpoint);
  }
  recordOutcome(_id: string, change: EndpointChange): Promise<void> {
    this.changes.push(change);
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
) {
  const deliveries = new MemoryDeliveries();
  const endpoints = new MemoryEndpoints(target);
  const sender = new ScriptedSender(answers);
  const deps: DeliveryDeps = {
    endpoints: endpoints as unknown as EndpointStore,
    deliveries,
    secrets: secrets ?? undefined,
    sender,
    now: () => new Date(),
    ttlDays: 30,
    timeoutMs: 1000,
    disableAfterFailures: 100,
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
  return { deps, deliveries, endpoints, sender, message, eventId };
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
    const { deps, deliveries, endpoints, message } = setup(endpoint(), [status(503)]);
    const failure = await deliverWebhook(message, deps).catch((error: unknown) => error);
    expect(isRetriable(failure)).toBe(true);
    expect([...deliveries.records.values()][0]?.record.status).toBe('retrying');
    expect(endpoints.changes).toMatchObject([{ kind: 'failure', disable: null }]);
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
