import { describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../lib/eventEnvelope.ts';
import {
  deadLetterRecord,
  decideProcessing,
  failedRecord,
  processedRecord,
  type EventRecord,
  type EventStatus,
} from './eventStatus.ts';

const now = new Date('2026-01-02T03:04:05.000Z');
const context = { now, ttlDays: 30 };
const envelope: EventEnvelope = {
  eventId: '6bfc3e31-f253-494d-af62-2f662f29cb3d',
  eventType: 'page.viewed',
  payload: { title: 'Home' },
  occurredAt: '2026-01-02T03:00:00.000Z',
  receivedAt: '2026-01-02T03:04:00.000Z',
  source: 'api',
  producer: 'key_1',
};

function recordWith(status: EventStatus, attempts = 1): EventRecord {
  const failed = failedRecord(
    undefined,
    envelope,
    { code: 'publish_failed', message: 'down' },
    context,
  );
  return { ...failed, status, attempts };
}

describe('decideProcessing', () => {
  it.each([
    ['no record yet', undefined, 'process'],
    ['FAILED', recordWith('FAILED'), 'process'],
    ['PROCESSED', recordWith('PROCESSED'), 'skip'],
    ['DEAD_LETTER', recordWith('DEAD_LETTER'), 'skip'],
  ] as const)('%s → %s', (_, current, kind) => {
    expect(decideProcessing(current).kind).toBe(kind);
  });
});

describe('transitions', () => {
  it('first success: PROCESSED after one attempt, no body kept, expiry set', () => {
    const record = processedRecord(undefined, envelope, context);
    expect(record).toMatchObject({
      status: 'PROCESSED',
      attempts: 1,
      processedAt: now,
      envelope: null,
      lastError: null,
    });
    expect(record.expireAt.getTime() - now.getTime()).toBe(30 * 86_400_000);
  });

  it('failure counts attempts and keeps the body for replay', () => {
    const first = failedRecord(
      undefined,
      envelope,
      { code: 'publish_failed', message: 'down' },
      context,
    );
    const second = failedRecord(
      first,
      envelope,
      { code: 'publish_failed', message: 'still down' },
      context,
    );
    expect(second).toMatchObject({ status: 'FAILED', attempts: 2, failedAt: now });
    expect(second.lastError).toEqual({ code: 'publish_failed', message: 'still down', at: now });
    expect(JSON.parse(second.envelope!)).toEqual(envelope);
  });

  it('success after failures keeps the failure history and drops the body', () => {
    const failed = recordWith('FAILED', 3);
    const record = processedRecord(failed, envelope, context);
    expect(record).toMatchObject({ status: 'PROCESSED', attempts: 4, envelope: null });
    expect(record.lastError?.code).toBe('publish_failed');
  });

  it('dead-lettering keeps the attempts and last error that the failures recorded', () => {
    const failed = recordWith('FAILED', 5);
    const record = deadLetterRecord(
      envelope.eventId,
      failed,
      envelope,
      { error: { code: 'attempts_exhausted', message: 'gave up' }, countsAsAttempt: false },
      context,
    );
    expect(record).toMatchObject({ status: 'DEAD_LETTER', attempts: 5, deadLetteredAt: now });
    expect(record.lastError?.code).toBe('publish_failed');
  });

  it('an unreadable message is dead-lettered with its raw text', () => {
    const record = deadLetterRecord(
      'message-42',
      undefined,
      undefined,
      {
        error: { code: 'invalid_message', message: 'not JSON' },
        rawMessage: 'garbage',
        countsAsAttempt: true,
      },
      context,
    );
    expect(record).toMatchObject({
      status: 'DEAD_LETTER',
      attempts: 1,
      envelope: 'garbage',
      eventType: null,
    });
    expect(record.lastError?.code).toBe('invalid_message');
  });
});
