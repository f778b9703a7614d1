import { describe, expect, it } from 'vitest';
import type { EventRecord } from '../process/eventRecord.ts';
import type { UploadBatch } from '../uploads/uploadBatches.ts';
import {
  metricsQueryInOurTerms,
  presentJob,
  presentMetrics,
  presentUpload,
  processAnswer,
} from './eventMetrics.ts';

const today = '2025-11-12';

describe('GET /metrics query onto ours', () => {
  it.each([
    ['a date', { date: '2025-11-10' }, { date: '2025-11-10' }],
    ['from alone: to today', { from: '2025-11-01' }, { from: '2025-11-01', to: today }],
    [
      'from and to',
      { from: '2025-11-01', to: '2025-11-10' },
      { from: '2025-11-01', to: '2025-11-10' },
    ],
    ['an event type', { event_type: 'test_started' }, { eventType: 'test_started' }],
    ['nothing', {}, {}],
  ])('%s', (_, query, ours) => {
    expect(metricsQueryInOurTerms(query, today)).toMatchObject({ query: ours, errors: [] });
  });

  it.each([
    ['from alone: a range error is from’s', { from: '2024-01-01' }, { to: 'from' }],
    ['from and to: each its own', { from: '2024-01-01', to: '2024-01-02' }, {}],
  ])('%s', (_, query, renamed) => {
    expect(metricsQueryInOurTerms(query, today).errorNames).toEqual({
      eventType: 'event_type',
      ...renamed,
    });
  });

  it('names a parameter it never had', () => {
    expect(metricsQueryInOurTerms({ eventType: 'x' }, today).errors.map((e) => e.field)).toEqual([
      'eventType',
    ]);
  });
});

describe('its shapes', () => {
  it('an upload in snake_case, every count kept', () => {
    const result = {
      rows: 3,
      insertedCount: 2,
      duplicateCount: 0,
      failedCount: 1,
      errors: [{ row: 4, field: 'timestamp', message: 'bad' }],
      errorsTruncated: false,
      stop: null,
      columns: [{ header: 'event_type', field: 'eventType' }],
    };
    expect(presentUpload('b-1', result)).toEqual({
      batch_id: 'b-1',
      inserted_count: 2,
      duplicate_count: 0,
      failed_count: 1,
      errors: [{ row: 4, field: 'timestamp', message: 'bad' }],
      errors_truncated: false,
      columns: [{ header: 'event_type', field: 'eventType' }],
    });
  });

  it.each([
    ['completed', 'Batch was processed at upload: completed (2 inserted, 0 duplicate, 1 failed)'],
    ['stopped', 'Batch was processed at upload: stopped (2 inserted, 0 duplicate, 1 failed)'],
    [
      'receiving',
      'Batch is being processed as it uploads (2 inserted, 0 duplicate, 1 failed so far)',
    ],
  ] as const)('processing a %s batch reports its state', (status, message) => {
    const batch = {
      batchId: 'b-1',
      status,
      insertedCount: 2,
      duplicateCount: 0,
      failedCount: 1,
    } as UploadBatch;
    expect(processAnswer(batch)).toEqual({ message, batchId: 'b-1' });
  });

  it('daily counts with event_type', () => {
    expect(
      presentMetrics({
        count: 1,
        data: [{ date: '2025-11-10', metrics: [{ eventType: 'test_started', count: 4 }] }],
      }),
    ).toEqual({
      count: 1,
      data: [{ date: '2025-11-10', metrics: [{ event_type: 'test_started', count: 4 }] }],
    });
  });

  it('a dead-lettered event as a failed job', () => {
    const at = new Date('2025-11-10T00:00:00.000Z');
    const record = {
      eventId: 'e-1',
      eventType: 'test_started',
      attempts: 5,
      receivedAt: at,
      deadLetteredAt: at,
      lastError: { code: 'x', message: 'boom', at },
    } as EventRecord;
    expect(presentJob(record)).toEqual({
      id: 'e-1',
      name: 'test_started',
      failedReason: 'boom',
      attemptsMade: 5,
      timestamp: at.getTime(),
      failedOn: at.getTime(),
    });
  });
});
