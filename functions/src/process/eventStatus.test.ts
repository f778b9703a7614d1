import { describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../lib/eventEnvelope.ts';
import { maxHistoryEntries, type EventRecord, type EventStatus } from './eventRecord.ts';
import {
  deadLetterRecord,
  failedRecord,
  hourBucket,
  processedRecord,
  queuedRecord,
} from './eventTransitions.ts';
import {
  decideDeadLetter,
  decideSettlement,
  decideReplay,
  isUnconfirmedClaim,
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

function recordWith(status: EventStatus, attempts = 1, replays = 0): EventRecord {
  const failed = failedRecord(
    undefined,
    envelope,
    { code: 'publish_failed', message: 'down' },
    context,
  );
  return { ...failed, status, attempts, replays };
}

describe('decideSettlement', () => {
  const published = { kind: 'published' } as const;
  const failed = { kind: 'failed', error: { code: 'publish_failed', message: 'down' } } as const;
  const claim = processedRecord(undefined, envelope, context);
  const confirmed = processedRecord(recordWith('FAILED', 1), envelope, context);
  it.each([
    // [case, stored record, fan-out, own claim, outcome, status written, attempts written]
    ['no record, published', undefined, published, false, 'write/ack', 'PROCESSED', 1],
    ['no record, fan-out failed', undefined, failed, false, 'write/retry', 'FAILED', 1],
    ['FAILED, published', recordWith('FAILED', 2), published, false, 'write/ack', 'PROCESSED', 3],
    ['FAILED, fan-out failed', recordWith('FAILED', 2), failed, false, 'write/retry', 'FAILED', 3],
    [
      'QUEUED, published',
      recordWith('QUEUED', 0, 1),
      published,
      false,
      'write/ack',
      'PROCESSED',
      1,
    ],
    ['own claim, fan-out failed', claim, failed, true, 'write/retry', 'FAILED', 1],
    ["another delivery's claim, fan-out failed", claim, failed, false, 'write/retry', 'FAILED', 2],
    ['a claim, published again', claim, published, false, 'already_processed', null, null],
    [
      'confirmed PROCESSED, published again',
      confirmed,
      published,
      false,
      'already_processed',
      null,
      null,
    ],
    [
      'confirmed PROCESSED, fan-out failed',
      confirmed,
      failed,
      false,
      'already_processed',
      null,
      null,
    ],
    [
      'DEAD_LETTER, published late',
      recordWith('DEAD_LETTER', 5),
      published,
      false,
      'write/ack',
      'PROCESSED',
      6,
    ],
    [
      'DEAD_LETTER, fan-out failed',
      recordWith('DEAD_LETTER', 5),
      failed,
      false,
      'dead_lettered',
      null,
      null,
    ],
  ] as const)('%s → %s', (_, current, fanOut, ownClaim, outcome, status, attempts) => {
    const decision = decideSettlement(current, fanOut, envelope, context, ownClaim);
    const seen =
      decision.kind === 'ack'
        ? [decision.reason, null, null]
        : [`write/${decision.afterWrite}`, decision.record.status, decision.record.attempts];
    expect(seen).toEqual([outcome, status, attempts]);
  });

  it('a claim is the only PROCESSED record without history', () => {
    expect(isUnconfirmedClaim(claim)).toBe(true);
    expect(isUnconfirmedClaim(confirmed)).toBe(false);
    expect(isUnconfirmedClaim(recordWith('FAILED'))).toBe(false);
  });

  it('a failed fan-out keeps the body, so the event can still be replayed', () => {
    const decision = decideSettlement(claim, failed, envelope, context, true);
    expect(decision.kind === 'write' && JSON.parse(decision.record.envelope!)).toEqual(envelope);
  });
});

describe('decideDeadLetter', () => {
  it.each([
    ['no record', undefined, 0, 'record'],
    ['FAILED, original message', recordWith('FAILED', 5), 0, 'record'],
    ['QUEUED, message of this replay', recordWith('QUEUED', 5, 1), 1, 'record'],
    ['FAILED after a replay, message of that replay', recordWith('FAILED', 5, 2), 2, 'record'],
    [
      'QUEUED, message from before the replay',
      recordWith('QUEUED', 5, 1),
      0,
      'superseded_by_replay',
    ],
    ['FAILED after a replay, older message', recordWith('FAILED', 2, 2), 1, 'superseded_by_replay'],
    ['PROCESSED', recordWith('PROCESSED'), 0, 'already_processed'],
    ['an unconfirmed claim', processedRecord(undefined, envelope, context), 0, 'republish'],
    ['DEAD_LETTER', recordWith('DEAD_LETTER'), 0, 'already_dead_lettered'],
  ] as const)('%s → %s', (_, current, replay, outcome) => {
    const decision = decideDeadLetter(current, replay);
    expect(decision.kind === 'skip' ? decision.reason : decision.kind).toBe(outcome);
  });
});

describe('decideReplay', () => {
  const staleMs = 600_000;
  const queuedAgo = (ms: number): EventRecord => ({
    ...recordWith('QUEUED'),
    queuedAt: new Date(now.getTime() - ms),
  });
  it.each([
    ['FAILED', recordWith('FAILED'), 'replay'],
    ['DEAD_LETTER', recordWith('DEAD_LETTER'), 'replay'],
    ['PROCESSED', recordWith('PROCESSED'), 'processed'],
    ['QUEUED a moment ago', queuedAgo(1000), 'queued'],
    ['QUEUED longer than the stale window (publish lost)', queuedAgo(staleMs + 1), 'replay'],
    ['DEAD_LETTER without a body', { ...recordWith('DEAD_LETTER'), envelope: null }, 'no_envelope'],
  ] as const)('%s → %s', (_, current, outcome) => {
    const decision = decideReplay(current, now, staleMs);
    expect(decision.kind === 'replay' ? 'replay' : decision.reason).toBe(outcome);
  });
});

describe('transitions', () => {
  it('first success: PROCESSED after one attempt, no body kept, expiry set', () => {
    const record = processedRecord(undefined, envelope, context);
    expect(record).toMatchObject({
      status: 'PROCESSED',
      attempts: 1,
      replays: 0,
      processedAt: now,
      processedHour: '2026-01-02T03',
      envelope: null,
      lastError: null,
      history: [],
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
    expect(record.history.map((h) => h.status)).toEqual(['FAILED', 'PROCESSED']);
  });

  it('replay queues a dead letter afresh: attempts reset, replays counted, history kept', () => {
    let record = failedRecord(
      undefined,
      envelope,
      { code: 'publish_failed', message: 'x' },
      context,
    );
    for (let attempt = 2; attempt <= 5; attempt += 1)
      record = failedRecord(record, envelope, { code: 'publish_failed', message: 'x' }, context);
    record = deadLetterRecord(
      envelope.eventId,
      record,
      envelope,
      { error: { code: 'attempts_exhausted', message: 'gave up' }, countsAsAttempt: false },
      context,
    );
    const later = { now: new Date(now.getTime() + 60_000), ttlDays: 30 };
    const queued = queuedRecord(record, later);
    expect(queued).toMatchObject({
      status: 'QUEUED',
      attempts: 0,
      replays: 1,
      queuedAt: later.now,
      deadLetteredAt: null,
      failedAt: now,
      envelope: record.envelope,
    });
    expect(queued.lastError?.code).toBe('publish_failed');

    const processed = processedRecord(queued, envelope, later);
    expect(processed).toMatchObject({ status: 'PROCESSED', attempts: 1, replays: 1 });
    expect(processed.history.map((h) => `${h.status}/${h.replay}/${h.attempts}`)).toEqual([
      'FAILED/0/1',
      'FAILED/0/2',
      'FAILED/0/3',
      'FAILED/0/4',
      'FAILED/0/5',
      'DEAD_LETTER/0/5',
      'QUEUED/1/0',
      'PROCESSED/1/1',
    ]);
  });

  it('keeps only the latest history entries', () => {
    let record = failedRecord(
      undefined,
      envelope,
      { code: 'e', message: 'm'.repeat(2000) },
      context,
    );
    for (let i = 0; i < maxHistoryEntries + 10; i += 1)
      record = failedRecord(record, envelope, { code: 'e', message: 'm' }, context);
    expect(record.history).toHaveLength(maxHistoryEntries);
    expect(record.history.at(-1)?.attempts).toBe(maxHistoryEntries + 11);
  });

  it('buckets processing times by UTC hour', () => {
    expect(hourBucket(new Date('2026-03-04T23:59:59.999+01:00'))).toBe('2026-03-04T22');
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
