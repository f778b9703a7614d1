import { describe, expect, it } from 'vitest';
import { classifyResponse, type SendResult } from './classifyResponse.ts';
import {
  decideDelivery,
  endpointChange,
  exhaustedRecord,
  heldRecord,
  isReplayable,
  recordAttempt,
  replayedRecord,
  type DeliveryKey,
  type DeliveryRecord,
} from './delivery.ts';
import { newEndpoint, type WebhookEndpoint } from './endpoint.ts';

const now = new Date('2026-01-02T03:04:05.000Z');
const context = { now, ttlDays: 30 };
const key: DeliveryKey = {
  eventId: '6bfc3e31-f253-494d-af62-2f662f29cb3d',
  endpointId: 'ep_aaaaaaaaaaaaaaaaaaaaaa',
  eventType: 'page.viewed',
  event: '{"eventId":"6bfc3e31-f253-494d-af62-2f662f29cb3d"}',
};

function endpoint(overrides: Partial<WebhookEndpoint> = {}): WebhookEndpoint {
  const settings = { id: key.endpointId, url: 'https://hooks.example.com/', description: null };
  return {
    ...newEndpoint({ ...settings, eventTypes: ['page.*'], enabled: true, secrets: [] }, now),
    ...overrides,
  };
}

const answer = (statusCode: number): SendResult => ({
  kind: 'response',
  statusCode,
  latencyMs: 20,
  excerpt: statusCode >= 300 ? 'nope' : '',
});

function attempt(current: DeliveryRecord | undefined, result: SendResult, atLimit = false) {
  const verdict = classifyResponse(result);
  const change = endpointChange(verdict, atLimit ? 'consecutive_failures' : null);
  return recordAttempt(current, key, result, verdict, change, context);
}

describe('decideDelivery', () => {
  const delivered = attempt(undefined, answer(200)).record;
  const retrying = attempt(undefined, answer(503)).record;
  it.each([
    ['first attempt', undefined, endpoint(), 'send'],
    ['after a failure', retrying, endpoint(), 'send'],
    ['already delivered', delivered, endpoint(), 'skip'],
    ['already delivered, endpoint gone', delivered, undefined, 'skip'],
    ['endpoint disabled', undefined, endpoint({ enabled: false }), 'hold'],
    ['endpoint deleted', retrying, undefined, 'hold'],
  ] as const)('%s → %s', (_, current, target, kind) => {
    expect(decideDelivery(current, target).kind).toBe(kind);
  });
});

describe('recordAttempt', () => {
  it('a first success: delivered, one attempt logged, the event body not kept', () => {
    const { record, retry } = attempt(undefined, answer(204));
    expect(retry).toBe(false);
    expect(record).toMatchObject({
      status: 'delivered',
      attemptCount: 1,
      deliveredAt: now,
      failedAt: null,
      event: null,
      createdAt: now,
      createdHour: now.toISOString().slice(0, 13),
    });
    expect(record.attempts).toEqual([
      {
        at: now,
        statusCode: 204,
        latencyMs: 20,
        outcome: 'delivered',
        error: null,
        responseExcerpt: null,
      },
    ]);
    expect(record.expireAt.getTime() - now.getTime()).toBe(30 * 86_400_000);
  });

  it('three failures then a success: four attempts logged, delivered', () => {
    let record: DeliveryRecord | undefined;
    for (const status of [500, 503, 429]) {
      const next = attempt(record, answer(status));
      expect(next.retry).toBe(true);
      expect(next.record).toMatchObject({ status: 'retrying', event: key.event, failedAt: now });
      record = next.record;
    }
    const done = attempt(record, answer(200)).record;
    expect(done.status).toBe('delivered');
    expect(done.attempts.map((a) => a.statusCode)).toEqual([500, 503, 429, 200]);
    expect(done.attemptCount).toBe(4);
    expect(done.lastError).toMatchObject({ code: 'http_429' });
  });

  it.each([
    [400, 'failed', false],
    [404, 'failed', false],
    [302, 'failed', false],
    [410, 'endpoint_disabled', false],
    [500, 'retrying', true],
    [408, 'retrying', true],
  ] as const)('HTTP %i → %s (retry: %s), the event kept for replay', (status, expected, retry) => {
    const next = attempt(undefined, answer(status));
    expect(next.record.status).toBe(expected);
    expect(next.retry).toBe(retry);
    expect(next.record.event).toBe(key.event);
    expect(next.record.attempts[0]?.responseExcerpt).toBe('nope');
  });

  it('the failure that reaches the limit disables the endpoint and keeps the delivery', () => {
    const next = attempt(undefined, answer(500), true);
    expect(next).toMatchObject({ retry: false, record: { status: 'endpoint_disabled' } });
  });

  it('a timeout logs no status code', () => {
    const next = attempt(undefined, {
      kind: 'error',
      code: 'timeout',
      message: 'slow',
      latencyMs: 10_000,
    });
    expect(next.retry).toBe(true);
    expect(next.record.attempts[0]).toMatchObject({
      statusCode: null,
      error: { code: 'timeout' },
    });
  });

  it('keeps the latest attempts when the log is full', () => {
    let record: DeliveryRecord | undefined;
    for (let i = 0; i < 60; i += 1) record = attempt(record, answer(500)).record;
    expect(record?.attempts).toHaveLength(50);
    expect(record?.attemptCount).toBe(60);
  });
});

describe('endpointChange', () => {
  it.each([
    [null, 200, { kind: 'none' }],
    [null, 500, { kind: 'failure', disable: null }],
    ['consecutive_failures', 500, { kind: 'failure', disable: 'consecutive_failures' }],
    [null, 410, { kind: 'failure', disable: 'endpoint_gone' }],
    [null, 404, { kind: 'failure', disable: null }],
  ] as const)('recorder says %s, HTTP %i → %o', (disabled, status, expected) => {
    const verdict = classifyResponse(answer(status));
    expect(endpointChange(verdict, disabled)).toMatchObject(expected);
  });
});

describe('held, exhausted, replayed', () => {
  it('a delivery to a disabled endpoint is kept for replay, not sent', () => {
    const record = heldRecord(undefined, key, 'endpoint_disabled', context);
    expect(record).toMatchObject({
      status: 'endpoint_disabled',
      attemptCount: 0,
      event: key.event,
      failedAt: now,
    });
    expect(heldRecord(undefined, key, 'endpoint_deleted', context).status).toBe('failed');
  });

  it('exhaustion keeps the attempts and the last error', () => {
    const retrying = attempt(undefined, answer(503)).record;
    const record = exhaustedRecord(retrying, key, context);
    expect(record).toMatchObject({
      status: 'exhausted',
      exhaustedAt: now,
      attemptCount: 1,
      lastError: { code: 'http_503' },
    });
  });

  it('a replay makes a delivery pending again and keeps its log', () => {
    const exhausted = exhaustedRecord(attempt(undefined, answer(503)).record, key, context);
    const later = new Date(now.getTime() + 1000);
    expect(replayedRecord(exhausted, later)).toMatchObject({
      status: 'pending',
      exhaustedAt: null,
      attemptCount: 1,
      failedAt: now,
      updatedAt: later,
    });
  });

  it.each([
    ['pending', true],
    ['retrying', true],
    ['failed', true],
    ['exhausted', true],
    ['endpoint_disabled', true],
    ['delivered', false],
  ] as const)('%s replayable: %s', (status, expected) => {
    expect(isReplayable(status)).toBe(expected);
  });
});
