import { describe, expect, it } from 'vitest';
import type { EventDetail } from '../admin/eventDetail.ts';
import type { DeliveryRecord } from '../webhooks/delivery.ts';
import { relayAnswer } from './webhookRelay.ts';
import { presentRelayedEvent } from './webhookRelayApi.ts';

const at = new Date('2024-01-10T10:00:00.000Z');

describe('POST /api/v1/events answers', () => {
  it('202 with the event, its key, and the time it took', () => {
    const taken = {
      kind: 'accepted' as const,
      eventId: 'e-1',
      receivedAt: at.toISOString(),
      eventType: 'job.created',
    };
    expect(relayAnswer(taken, 'k-1', 45)).toEqual({
      status: 202,
      body: {
        success: true,
        message: 'Event accepted and queued for processing',
        eventId: 'e-1',
        eventType: 'job.created',
        idempotencyKey: 'k-1',
        receivedAt: at.toISOString(),
        processingTimeMs: 45,
      },
    });
  });

  it.each([
    ['the same event again', { kind: 'duplicate' as const, receivedAt: at.toISOString() }],
    ['another event', { kind: 'conflict' as const }],
  ])('409 with the original event for a key used before with %s', (_, outcome) => {
    const answer = relayAnswer({ ...outcome, eventId: 'e-0', eventType: 't' }, 'k-1', 3);
    expect(answer.status).toBe(409);
    expect(answer.body).toMatchObject({
      success: false,
      message: 'Duplicate idempotency key',
      eventId: 'e-0',
      idempotencyKey: 'k-1',
      error: { code: 'duplicate_idempotency_key' },
    });
  });
});

const delivery = (endpointId: string, attempts: DeliveryRecord['attempts']): DeliveryRecord => ({
  eventId: 'e-1',
  endpointId,
  eventType: 'job.created',
  status: 'delivered',
  attempts,
  attemptCount: attempts.length,
  createdAt: at,
  createdHour: at.toISOString().slice(0, 13),
  updatedAt: at,
  deliveredAt: at,
  failedAt: null,
  exhaustedAt: null,
  lastError: null,
  event: null,
  expireAt: at,
});
const attempt = (statusCode: number | null, outcome: 'delivered' | 'retry') => ({
  at,
  statusCode,
  latencyMs: 12,
  outcome,
  error: statusCode === null ? { code: 'timeout', message: 'no answer' } : null,
  responseExcerpt: null,
});

describe('GET /api/v1/events/:eventId', () => {
  it.each([
    ['no delivery', [], []],
    [
      'two endpoints, one retried',
      [
        delivery('ep-a', [attempt(null, 'retry'), attempt(200, 'delivered')]),
        delivery('ep-b', [attempt(204, 'delivered')]),
      ],
      [
        { endpointId: 'ep-a', statusCode: null, outcome: 'retry' },
        { endpointId: 'ep-a', statusCode: 200, outcome: 'delivered' },
        { endpointId: 'ep-b', statusCode: 204, outcome: 'delivered' },
      ],
    ],
  ])('lists every attempt as a delivery log: %s', (_, deliveries, logs) => {
    const detail = {
      record: {
        eventId: 'e-1',
        eventType: 'job.created',
        idempotencyKey: 'k-1',
        receivedAt: at,
        status: 'PROCESSED',
      },
      body: { payload: { jobId: 'job_123' }, metadata: null },
      deliveries,
    } as unknown as EventDetail;
    const event = presentRelayedEvent(detail);
    expect(event).toMatchObject({
      id: 'e-1',
      eventType: 'job.created',
      idempotencyKey: 'k-1',
      payload: { jobId: 'job_123' },
      receivedAt: at.toISOString(),
    });
    expect(event.deliveryLogs).toMatchObject(logs);
  });
});
