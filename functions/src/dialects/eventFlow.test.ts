import { describe, expect, it } from 'vitest';
import type { MetricsSummary } from '../admin/metrics.ts';
import { HttpError } from '../lib/http.ts';
import type { EventRecord } from '../process/eventRecord.ts';
import { createdAnswer } from './eventFlow.ts';
import {
  maxFailedOffset,
  pageOffset,
  presentEventFlowEvent,
  presentMetrics,
} from './eventFlowApi.ts';

const at = new Date('2026-01-02T03:04:05.000Z');

const failed: EventRecord = {
  eventId: 'e-1',
  status: 'DEAD_LETTER',
  eventType: 'user.signup',
  source: 'api',
  producer: 'key_1',
  idempotencyKey: null,
  attempts: 5,
  replays: 0,
  receivedAt: at,
  occurredAt: at,
  processedAt: null,
  processedHour: null,
  failedAt: at,
  deadLetteredAt: at,
  queuedAt: null,
  lastError: { code: 'publish_failed', message: 'Pub/Sub refused', at },
  envelope: null,
  violations: [],
  violationDay: null,
  subjects: [],
  history: [{ at, status: 'DEAD_LETTER', attempts: 5, replay: 0, error: null }],
  updatedAt: at,
  expireAt: at,
};

describe('POST /events answers', () => {
  it.each([
    ['accepted', 201, 'Event received and queued for processing'],
    ['duplicate', 200, 'Event already received with this Idempotency-Key'],
  ] as const)('%s → %i', (kind, status, message) => {
    const taken = { kind, eventId: 'e-1', receivedAt: at.toISOString(), eventType: 't' };
    expect(createdAnswer(taken)).toEqual({
      status,
      body: { success: true, eventId: 'e-1', message },
    });
  });

  it('a key used with another event → 409', () => {
    expect(() => createdAnswer({ kind: 'conflict', eventId: 'e-1', eventType: 't' })).toThrow(
      HttpError,
    );
  });
});

describe('an event in its field names', () => {
  it.each([
    ['in a list, without a body', undefined, {}],
    [
      'looked up, with its body',
      { payload: { userId: '123' }, metadata: { source: 'web' } },
      { payload: { userId: '123' }, metadata: { source: 'web' } },
    ],
    ['looked up before its body is in the warehouse', null, { payload: null, metadata: null }],
  ])('%s', (_, body, expected) => {
    expect(presentEventFlowEvent(failed, body)).toEqual({
      id: 'e-1',
      eventType: 'user.signup',
      ...expected,
      status: 'DEAD_LETTER',
      retryCount: 5,
      replays: 0,
      failureReason: 'Pub/Sub refused',
      createdAt: at.toISOString(),
      occurredAt: at.toISOString(),
      processedAt: null,
      failedAt: at.toISOString(),
      deadLetteredAt: at.toISOString(),
      updatedAt: at.toISOString(),
      history: [
        { at: at.toISOString(), status: 'DEAD_LETTER', attempts: 5, replay: 0, error: null },
      ],
    });
  });
});

const summary = (meanMs: number | null): MetricsSummary => ({
  generatedAt: at.toISOString(),
  byStatus: { PROCESSED: 950, FAILED: 30, DEAD_LETTER: 5, QUEUED: 10, QUARANTINED: 0 },
  byType: { types: [{ eventType: 'user.signup', count: 500 }], truncated: false },
  throughput: { unit: 'events processed per hour (UTC)', hours: [] },
  latency: {
    sampleSize: meanMs === null ? 0 : 10,
    meanMs,
    p50Ms: null,
    p90Ms: null,
    p99Ms: null,
    maxMs: null,
    measures: '',
    sample: '',
  },
  backlog: { subscription: 's', messages: null },
});

describe('GET /admin/metrics from the summary', () => {
  it.each([
    [250, 0.25],
    [null, null],
  ])('mean processing time %s ms → %s s', (meanMs, seconds) => {
    expect(presentMetrics(summary(meanMs))).toEqual({
      summary: {
        total: 995,
        pending: 10,
        processing: 0,
        processed: 950,
        failed: 30,
        deadLetter: 5,
        quarantined: 0,
      },
      eventsByType: [{ eventType: 'user.signup', count: 500 }],
      processingStats: { averageProcessingTimeSeconds: seconds, totalProcessed: 950 },
    });
  });
});

describe('pageOffset', () => {
  it.each([
    [1, 50, 0],
    [2, 50, 50],
    [3, 7, 14],
    [maxFailedOffset / 100, 100, maxFailedOffset - 100],
  ])('page %i of %i → offset %i', (page, limit, offset) => {
    expect(pageOffset(page, limit)).toBe(offset);
  });

  it('refuses a page past the deepest, naming page', () => {
    expect(() => pageOffset(maxFailedOffset / 100 + 1, 100)).toThrow(HttpError);
  });
});
