import { describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../lib/eventEnvelope.ts';
import type { Violation } from '../plan/trackingPlan.ts';
import type { EventRecord } from './eventRecord.ts';
import { decideDeadLetter, decideReplay } from './eventStatus.ts';
import {
  failedRecord,
  processedRecord,
  quarantinedRecord,
  queuedRecord,
  requarantinedRecord,
} from './eventTransitions.ts';

const now = new Date('2026-01-02T23:59:59.000Z');
const context = { now, ttlDays: 30 };
const later = { now: new Date('2026-01-05T10:00:00.000Z'), ttlDays: 30 };
const envelope: EventEnvelope = {
  eventId: '6bfc3e31-f253-494d-af62-2f662f29cb3d',
  eventType: 'user.signed_up',
  payload: { plan: 'pro', seats: 'three' },
  occurredAt: '2026-01-02T23:50:00.000Z',
  receivedAt: '2026-01-02T23:59:00.000Z',
  source: 'api',
  producer: 'key_1',
  userId: 'user_1',
  idempotencyKey: 'idem-1',
};

const seatsType: Violation = {
  eventType: 'user.signed_up',
  version: 2,
  instancePath: '/payload/seats',
  keyword: 'type',
  message: 'must be integer',
};
const missingUser: Violation = {
  eventType: 'user.signed_up',
  version: 2,
  instancePath: '',
  keyword: 'required',
  message: "must have required property 'userId'",
};

describe('quarantinedRecord', () => {
  it('keeps the whole envelope and the violations, failedAt now', () => {
    const record = quarantinedRecord(undefined, envelope, [seatsType], context);
    expect(record).toMatchObject({
      eventId: envelope.eventId,
      status: 'QUARANTINED',
      eventType: 'user.signed_up',
      source: 'api',
      producer: 'key_1',
      idempotencyKey: 'idem-1',
      attempts: 1,
      replays: 0,
      failedAt: now,
      processedAt: null,
      processedHour: null,
      deadLetteredAt: null,
      violations: [seatsType],
      updatedAt: now,
    });
    expect(JSON.parse(record.envelope!)).toEqual(envelope);
    expect(record.receivedAt).toEqual(new Date(envelope.receivedAt));
    expect(record.expireAt.getTime() - now.getTime()).toBe(30 * 86_400_000);
  });

  it('the last error is plan_violation, naming the first violation by its pointer', () => {
    const record = quarantinedRecord(undefined, envelope, [seatsType], context);
    expect(record.lastError).toEqual({
      code: 'plan_violation',
      message: '/payload/seats must be integer',
      at: now,
    });
  });

  it('counts the other violations and names the root for an empty pointer', () => {
    const record = quarantinedRecord(undefined, envelope, [missingUser, seatsType], context);
    expect(record.lastError?.message).toBe(
      "(root) must have required property 'userId' (and 1 more)",
    );
  });

  it('with no violations given it still says why', () => {
    const record = quarantinedRecord(undefined, envelope, [], context);
    expect(record.lastError).toEqual({
      code: 'plan_violation',
      message: 'breaks the tracking plan',
      at: now,
    });
  });

  it('violationDay is the UTC day of the quarantine', () => {
    const record = quarantinedRecord(undefined, envelope, [seatsType], context);
    expect(record.violationDay).toBe('2026-01-02');
  });

  it('records the transition in history', () => {
    const record = quarantinedRecord(undefined, envelope, [seatsType], context);
    expect(record.history).toEqual([
      {
        at: now,
        status: 'QUARANTINED',
        attempts: 1,
        replay: 0,
        error: { code: 'plan_violation', message: '/payload/seats must be integer' },
      },
    ]);
  });

  it('after a failure: attempts and history go on', () => {
    const failed = failedRecord(
      undefined,
      envelope,
      { code: 'publish_failed', message: 'down' },
      context,
    );
    const record = quarantinedRecord(failed, envelope, [seatsType], later);
    expect(record.attempts).toBe(2);
    expect(record.failedAt).toEqual(later.now);
    expect(record.history.map((entry) => entry.status)).toEqual(['FAILED', 'QUARANTINED']);
    expect(record.violationDay).toBe('2026-01-05');
  });
});

describe('replaying a quarantined event', () => {
  const quarantined = quarantinedRecord(undefined, envelope, [seatsType], context);
  const queued = queuedRecord(quarantined, later);

  it('queued: a replay round begins, violations and failure fields still there', () => {
    expect(queued).toMatchObject({
      status: 'QUEUED',
      attempts: 0,
      replays: 1,
      queuedAt: later.now,
      violations: [seatsType],
      violationDay: '2026-01-02',
      failedAt: now,
    });
    expect(queued.lastError?.code).toBe('plan_violation');
    expect(queued.envelope).toBe(quarantined.envelope);
  });

  it('processed after the replay: violations dropped, violationDay kept', () => {
    const processed = processedRecord(queued, envelope, later);
    expect(processed).toMatchObject({
      status: 'PROCESSED',
      attempts: 1,
      replays: 1,
      envelope: null,
      violations: [],
      violationDay: '2026-01-02',
      processedAt: later.now,
    });
    expect(processed.history.map((entry) => [entry.status, entry.replay])).toEqual([
      ['QUARANTINED', 0],
      ['QUEUED', 1],
      ['PROCESSED', 1],
    ]);
  });

  it('processed with violations the plan allows: kept, first day kept', () => {
    const processed = processedRecord(queued, envelope, later, [missingUser]);
    expect(processed.violations).toEqual([missingUser]);
    expect(processed.violationDay).toBe('2026-01-02');
  });

  it('a first-time success with allowed violations gets its own violationDay', () => {
    const processed = processedRecord(undefined, envelope, context, [seatsType]);
    expect(processed).toMatchObject({
      status: 'PROCESSED',
      violations: [seatsType],
      violationDay: '2026-01-02',
      history: [],
    });
  });

  it('a quarantined event may be replayed', () => {
    expect(decideReplay(quarantined, later.now, 600_000)).toEqual({ kind: 'replay' });
  });
});

describe('requarantinedRecord', () => {
  const quarantined: EventRecord = {
    ...quarantinedRecord(undefined, envelope, [seatsType], context),
    attempts: 3,
    replays: 2,
  };

  it('keeps attempts, replays and when it was quarantined; takes the new violations', () => {
    const record = requarantinedRecord(quarantined, envelope, [missingUser], later);
    expect(record).toMatchObject({
      status: 'QUARANTINED',
      attempts: 3,
      replays: 2,
      // Replays page on failedAt: a recheck must not move the event under them.
      failedAt: quarantined.failedAt,
      violations: [missingUser],
      violationDay: '2026-01-02',
    });
    expect(record.lastError).toEqual({
      code: 'plan_violation',
      message: "(root) must have required property 'userId'",
      at: later.now,
    });
    expect(record.history.at(-1)).toMatchObject({ status: 'QUARANTINED', replay: 2 });
    expect(record.history).toHaveLength(quarantined.history.length + 1);
  });

  it('its history entry counts the attempts the record keeps', () => {
    const record = requarantinedRecord(quarantined, envelope, [missingUser], later);
    expect(record.history.at(-1)?.attempts).toBe(record.attempts);
  });
});

describe('decideDeadLetter on a quarantined event', () => {
  it.each([0, 1, 5])('skips as already_quarantined (message of replay %i)', (messageReplay) => {
    const quarantined = quarantinedRecord(undefined, envelope, [seatsType], context);
    expect(decideDeadLetter(quarantined, messageReplay)).toEqual({
      kind: 'skip',
      reason: 'already_quarantined',
    });
  });

  it('even one whose replays are past the message', () => {
    const record = { ...quarantinedRecord(undefined, envelope, [seatsType], context), replays: 3 };
    expect(decideDeadLetter(record, 0)).toEqual({ kind: 'skip', reason: 'already_quarantined' });
  });
});
