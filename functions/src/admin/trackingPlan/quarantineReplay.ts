import { randomUUID } from 'node:crypto';
import { topics } from '../../../../infra/spec.ts';
import type { EventQueries } from '../eventQueries.ts';
import { decodeCursor, encodeCursor, type FailedEventFilter } from '../failedEvents.ts';
import { restore } from '../replay.ts';
import { describe, PipelineError } from '../../lib/errors.ts';
import { parseEnvelope } from '../../lib/eventEnvelope.ts';
import type { EventQueue } from '../../lib/groupCommit.ts';
import type { Logger } from '../../lib/logger.ts';
import { mapLimit } from '../../lib/mapLimit.ts';
import type { Publisher } from '../../lib/publisher.ts';
import type { PushedMessage } from '../../lib/pushedMessage.ts';
import { queuedRecord, requarantinedRecord } from '../../process/eventTransitions.ts';
import type { EventStatusStore } from '../../process/eventStatusStore.ts';
import { maxConflictRounds } from '../../process/processEvent.ts';
import { planRevisionAttribute } from '../../process/planVerdicts.ts';
import { PlanChecker } from '../../plan/planChecker.ts';
import { canonical, type PublishedPlan } from '../../plan/trackingPlan.ts';

/**
 * A replay of quarantined events: each is checked against the plan as it is now; one
 * that passes goes back into the pipeline (QUARANTINED → QUEUED, a write conditioned on
 * the record read, then published to `events`) and is processed like any event, once;
 * one that still fails stays quarantined with its new violations. The work runs on the
 * `quarantine-replay` topic, one page per message: a step saves its progress and
 * publishes the next, so a request only starts the job and a crashed step is redelivered.
 */

export type QuarantineFilter = { eventType?: string; from?: Date; to?: Date };

/** The progress record of one quarantine replay (`quarantine_replays/{replayId}`). */
export type QuarantineReplay = {
  replayId: string;
  status: 'running' | 'completed';
  filter: QuarantineFilter;
  /** The plan revision when the job started (each step checks against the newest). */
  planRevision: number;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
  /** Quarantined events the filter matched when the job started. */
  matched: number;
  /** Passed the plan and were put back into the pipeline. */
  replayed: number;
  /** Still break the plan: left quarantined, with the violations found now. */
  stillFailing: number;
  /** No longer quarantined when their turn came (replayed or processed meanwhile). */
  skipped: number;
  /** Could not be published: still quarantined; replay again later. */
  failed: number;
  /** The step the next message must carry: a redelivered older step changes nothing. */
  step: number;
  cursor: string | null;
  expireAt: Date;
};

export type QuarantineReplayDeps = {
  events: EventStatusStore;
  queries: EventQueries;
  jobs: QuarantineReplayStore;
  eventQueue: EventQueue;
  publisher: Publisher;
  /** The newest plan: each step reads it, so a plan published during a replay is used. */
  plan: () => Promise<PublishedPlan>;
  checker: PlanChecker;
  now: () => Date;
  ttlDays: number;
  pageSize: number;
  concurrency: number;
  jobTtlDays: number;
  logger: Logger;
};

export interface QuarantineReplayStore {
  create(job: QuarantineReplay): Promise<void>;
  get(replayId: string): Promise<QuarantineReplay | undefined>;
  /** Writes the job if it is still at `step`; false when another step got there first. */
  advance(job: QuarantineReplay, fromStep: number): Promise<boolean>;
  recent(limit: number): Promise<QuarantineReplay[]>;
}

export function quarantineFilter(filter: QuarantineFilter): FailedEventFilter {
  return { statuses: ['QUARANTINED'], ...filter };
}

/** A new job, its filter frozen at `now`: events quarantined later are not picked up. */
export function newQuarantineReplay(
  filter: QuarantineFilter,
  matched: number,
  planRevision: number,
  now: Date,
  ttlDays: number,
): QuarantineReplay {
  const to = filter.to && filter.to < now ? filter.to : now;
  return {
    replayId: randomUUID(),
    status: matched === 0 ? 'completed' : 'running',
    filter: { ...filter, to },
    planRevision,
    createdAt: now,
    updatedAt: now,
    finishedAt: matched === 0 ? now : null,
    matched,
    replayed: 0,
    stillFailing: 0,
    skipped: 0,
    failed: 0,
    step: 0,
    cursor: null,
    expireAt: new Date(now.getTime() + ttlDays * 86_400_000),
  };
}

/** The message that runs one step of a job. */
export function stepMessage(replayId: string, step: number) {
  return {
    data: Buffer.from(JSON.stringify({ replayId, step })),
    attributes: { replayId, step: String(step) },
  };
}

export async function publishStep(
  replayId: string,
  step: number,
  deps: Pick<QuarantineReplayDeps, 'publisher'>,
): Promise<void> {
  await deps.publisher.publish(topics.quarantineReplay.name, stepMessage(replayId, step));
}

export type StepOutcome =
  | { kind: 'stale'; replayId: string }
  | { kind: 'advanced'; replayId: string; step: number; done: boolean };

/**
 * One step: one page of the job's quarantined events, checked and replayed or kept,
 * then the progress saved (only if no other delivery of this step saved first) and the
 * next step published. A step whose next message was lost is started again by a
 * redelivery of its own message, which republishes it.
 */
export async function runQuarantineStep(
  message: PushedMessage,
  deps: QuarantineReplayDeps,
): Promise<StepOutcome> {
  const { replayId, step } = readStep(message);
  const job = await deps.jobs.get(replayId);
  if (!job || job.status === 'completed') return { kind: 'stale', replayId };
  // A redelivery of the step before: its progress is saved; make sure the next step runs.
  if (job.step === step + 1) {
    await publishStep(replayId, job.step, deps);
    return { kind: 'stale', replayId };
  }
  if (job.step !== step) return { kind: 'stale', replayId };

  const plan = await deps.plan();
  await deps.checker.ready(plan);
  // QUEUED and PROCESSED too, for a step redone after its worker died: an event it
  // queued whose publish died with it is still QUEUED and must go out, and one already
  // processed is counted, so the job's counts add up to what it matched.
  const page = await deps.queries.failedPage(
    { ...quarantineFilter(job.filter), statuses: ['QUARANTINED', 'QUEUED', 'PROCESSED'] },
    deps.pageSize,
    job.cursor ? decodeCursor(job.cursor) : undefined,
  );
  const outcomes = await mapLimit(page.items, deps.concurrency, (item) =>
    recheckQuarantined(item.eventId, plan, job.createdAt, deps),
  );
  const now = deps.now();
  const count = (kind: RecheckOutcome['kind']) => outcomes.filter((o) => o.kind === kind).length;
  const done = page.next === null;
  const next: QuarantineReplay = {
    ...job,
    replayed: job.replayed + count('replayed'),
    stillFailing: job.stillFailing + count('still_failing'),
    skipped: job.skipped + count('skipped'),
    failed: job.failed + count('unavailable'),
    step: step + 1,
    cursor: page.next ? encodeCursor(page.next) : null,
    updatedAt: now,
    ...(done ? { status: 'completed' as const, finishedAt: now } : {}),
  };
  if (!(await deps.jobs.advance(next, step))) return { kind: 'stale', replayId };
  if (!done) await publishStep(replayId, next.step, deps);
  deps.logger.info(
    { replayId, step, replayed: next.replayed, stillFailing: next.stillFailing, done },
    'quarantine replay step',
  );
  return { kind: 'advanced', replayId, step: next.step, done };
}

function readStep(message: PushedMessage): { replayId: string; step: number } {
  try {
    const body = JSON.parse(message.data.toString('utf8')) as {
      replayId?: unknown;
      step?: unknown;
    };
    if (typeof body.replayId === 'string' && Number.isInteger(body.step))
      return { replayId: body.replayId, step: body.step as number };
  } catch {
    // Refused below.
  }
  throw new PipelineError('invalid_message', 'A quarantine replay step names no job.', {
    retriable: false,
  });
}

export type RecheckOutcome =
  | { kind: 'replayed'; eventId: string }
  /** Not this job's: processed or queued before it began. */
  | { kind: 'ignored'; eventId: string }
  | { kind: 'still_failing'; eventId: string }
  | { kind: 'skipped'; eventId: string }
  | { kind: 'unavailable'; eventId: string; reason: string };

/**
 * One quarantined event against the current plan. Passing, it is queued (conditioned on
 * the record read: a second replay, or a processor, that got there first wins) and
 * published with the plan revision it passed, so a processor holding an older plan
 * reads the newer one before checking it again. Failing, its violations are updated
 * only if they changed, so a second replay of the same plan writes nothing. An event
 * queued since the job began and still QUEUED (a redone step whose worker died between
 * the write and the publish) is published again in the same round: processing takes a
 * round once, so a second copy of a publish that did go out changes nothing.
 */
export async function recheckQuarantined(
  eventId: string,
  plan: PublishedPlan,
  jobStartedAt: Date,
  deps: Pick<QuarantineReplayDeps, 'events' | 'eventQueue' | 'checker' | 'now' | 'ttlDays'>,
): Promise<RecheckOutcome> {
  for (let round = 0; round < maxConflictRounds; round += 1) {
    const stored = await deps.events.get(eventId);
    const status = stored?.record.status;
    const envelope = parseEnvelope(stored?.record.envelope ?? '');
    if (!stored) return { kind: 'skipped', eventId };
    const queuedSinceStart = stored.record.history.some(
      (entry) => entry.status === 'QUEUED' && entry.at >= jobStartedAt,
    );
    if (status === 'PROCESSED') return { kind: queuedSinceStart ? 'replayed' : 'ignored', eventId };
    if (!envelope) return { kind: 'skipped', eventId };
    if (status === 'QUEUED') {
      if (!queuedSinceStart) return { kind: 'ignored', eventId };
      const [published] = await deps.eventQueue.enqueue([envelope], {
        replay: String(stored.record.replays),
        [planRevisionAttribute]: String(plan.revision),
      });
      // Left QUEUED, it would wait for an operator: the step is delivered again instead.
      if (!published?.ok)
        throw new PipelineError('publish_failed', describe(published?.error), { retriable: true });
      return { kind: 'replayed', eventId };
    }
    if (status !== 'QUARANTINED') return { kind: 'skipped', eventId };
    const context = { now: deps.now(), ttlDays: deps.ttlDays };
    const verdict = deps.checker.check(plan, envelope);
    if (verdict.kind === 'violations' && verdict.enforcement !== 'allow') {
      if (canonical(verdict.violations) === canonical(stored.record.violations))
        return { kind: 'still_failing', eventId };
      const kept = requarantinedRecord(stored.record, envelope, verdict.violations, context);
      if ((await deps.events.put(kept, stored.version)) === 'conflict') continue;
      return { kind: 'still_failing', eventId };
    }
    const queued = queuedRecord(stored.record, context);
    if ((await deps.events.put(queued, stored.version)) === 'conflict') continue;
    const [published] = await deps.eventQueue.enqueue([envelope], {
      replay: String(queued.replays),
      [planRevisionAttribute]: String(plan.revision),
    });
    if (!published?.ok) {
      await restore(eventId, queued.replays, stored.record, deps);
      return { kind: 'unavailable', eventId, reason: describe(published?.error) };
    }
    return { kind: 'replayed', eventId };
  }
  return { kind: 'unavailable', eventId, reason: 'the event kept changing; try again' };
}

export function presentQuarantineReplay(job: QuarantineReplay): Record<string, unknown> {
  return {
    replayId: job.replayId,
    status: job.status,
    filter: {
      type: job.filter.eventType ?? null,
      from: job.filter.from?.toISOString() ?? null,
      to: job.filter.to?.toISOString() ?? null,
    },
    planRevision: job.planRevision,
    matched: job.matched,
    replayed: job.replayed,
    stillFailing: job.stillFailing,
    skipped: job.skipped,
    failed: job.failed,
    remaining: Math.max(
      0,
      job.matched - job.replayed - job.stillFailing - job.skipped - job.failed,
    ),
    steps: job.step,
    createdAt: job.createdAt.toISOString(),
    updatedAt: job.updatedAt.toISOString(),
    finishedAt: job.finishedAt?.toISOString() ?? null,
  };
}
