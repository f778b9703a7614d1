import { describe } from '../lib/errors.ts';
import { eventCount } from '../lib/eventMessages.ts';
import { privacyCheck, type PrivacyGate } from '../privacy/privacyGate.ts';
import type { Logger } from '../lib/logger.ts';
import { planBatch, settleBatch } from './loaderBatch.ts';
import type { PulledMessage, PullSource } from './pullSource.ts';
import type { RejectionStore } from './rejectionStore.ts';
import type { Warehouse } from './warehouse.ts';

export type LoaderLimits = {
  /** Rows written per warehouse call. */
  batchRows: number;
  /** Rows (events) one run takes at most. */
  maxRowsPerRun: number;
  /**
   * Events one message may carry: a run's first pull asks for few enough messages that
   * even full ones make one batch; later pulls size by the events per message seen.
   */
  maxEventsPerMessage: number;
  /** No new batch starts after this long. */
  runBudgetMs: number;
  /** Pulls in flight while a batch is assembled. */
  pullConcurrency: number;
  /** Assembling a batch stops after this long, and what arrived is written. */
  batchWaitMs: number;
  /** Pub/Sub returns at most 1,000 messages per pull. */
  maxMessagesPerPull: number;
};

export type LoaderDeps = {
  source: PullSource;
  warehouse: Warehouse;
  rejections: RejectionStore;
  logger: Logger;
  now: () => Date;
  /** Milliseconds, for the budgets. */
  clock: () => number;
  limits: LoaderLimits;
  /** Suppressed and erased subjects, whose rows are never written. */
  privacy?: PrivacyGate;
};

export type StopReason =
  | 'drained'
  | 'budget'
  | 'max_rows'
  | 'pull_failed'
  | 'warehouse_unavailable'
  | 'record_failed'
  | 'ack_failed';

export type LoadReport = {
  batches: number;
  messages: number;
  rowsWritten: number;
  duplicates: number;
  rejected: number;
  released: number;
  stoppedBy: StopReason;
  error?: string;
};

/**
 * One loader run: pull a batch, write it in one warehouse call, acknowledge what the
 * warehouse took, record and acknowledge what it refused for good, and hand back
 * the rest; repeat while batches come back full, until the run's row limit or its
 * time budget is reached, or the warehouse fails (the next run picks up from there).
 */
export async function runLoader(deps: LoaderDeps): Promise<LoadReport> {
  const { limits } = deps;
  const started = deps.clock();
  const report: LoadReport = {
    batches: 0,
    messages: 0,
    rowsWritten: 0,
    duplicates: 0,
    rejected: 0,
    released: 0,
    stoppedBy: 'drained',
  };
  const stop = (reason: StopReason, error?: unknown): LoadReport => {
    report.stoppedBy = reason;
    if (error !== undefined) report.error = describe(error);
    return report;
  };

  let rowsTaken = 0;
  let eventsPerMessage = limits.maxEventsPerMessage;
  for (;;) {
    if (deps.clock() - started >= limits.runBudgetMs) return stop('budget');
    const room = limits.maxRowsPerRun - rowsTaken;
    if (room <= 0) return stop('max_rows');

    const wanted = Math.min(limits.batchRows, room);
    const pulled = await collectBatch(deps, wanted, eventsPerMessage);
    if (pulled.messages.length === 0) {
      return pulled.error === undefined ? stop('drained') : stop('pull_failed', pulled.error);
    }
    const { messages } = pulled;
    eventsPerMessage = Math.max(1, Math.ceil(pulled.rows / messages.length));
    report.batches += 1;
    report.messages += messages.length;
    rowsTaken += pulled.rows;

    const plan = planBatch(messages, await privacyCheck(deps.privacy));
    let result;
    try {
      result = plan.rows.length > 0 ? await deps.warehouse.write(plan.rows) : { rejected: [] };
    } catch (error) {
      report.released += await release(
        deps,
        messages.map((m) => m.ackId),
      );
      return stop('warehouse_unavailable', error);
    }

    const settlement = settleBatch(plan, result);
    report.rowsWritten += settlement.rowsWritten;
    report.duplicates += settlement.duplicates;
    const toAcknowledge = [...settlement.written];
    let recordFailure: unknown;
    if (settlement.rejections.length > 0) {
      const rejectedAckIds = [...new Set(settlement.rejections.flatMap((r) => r.ackIds))];
      try {
        await deps.rejections.record(
          settlement.rejections.map((r) => r.rejection),
          deps.now(),
        );
        toAcknowledge.push(...rejectedAckIds);
        report.rejected += settlement.rejections.length;
        deps.logger.warn(
          {
            rejected: settlement.rejections.map((r) => ({
              eventId: r.rejection.eventId,
              reason: r.rejection.reason,
            })),
          },
          'warehouse refused rows; recorded and acknowledged',
        );
      } catch (error) {
        // Not recorded: leave them for the next run rather than lose the reason.
        recordFailure = error;
        report.released += await release(deps, rejectedAckIds);
      }
    }
    try {
      await deps.source.acknowledge(toAcknowledge);
    } catch (error) {
      // The rows are written; a redelivery adds copies that queries count once.
      return stop('ack_failed', error);
    }
    if (recordFailure !== undefined) return stop('record_failed', recordFailure);
    if (pulled.error !== undefined) return stop('pull_failed', pulled.error);
    // A batch that could not be filled means the backlog is drained: what keeps
    // arriving waits for the next run, so batches stay large under any load.
    if (pulled.rows < wanted) return stop('drained');
  }
}

/**
 * Assembles messages carrying up to about `want` events from parallel pulls, until the
 * subscription has nothing more, the batch is full, or the batch wait is over. Pulls
 * ask for messages, so each asks for as many as `eventsPerMessage` (what was seen so
 * far, the most a message can carry at first) says would fill the batch.
 */
async function collectBatch(
  deps: LoaderDeps,
  want: number,
  expectedPerMessage: number,
): Promise<{ messages: PulledMessage[]; rows: number; error?: unknown }> {
  const { limits } = deps;
  const messages: PulledMessage[] = [];
  let rows = 0;
  let eventsPerMessage = expectedPerMessage;
  const until = deps.clock() + limits.batchWaitMs;
  while (rows < want) {
    const sizes = pullSizes(Math.ceil((want - rows) / eventsPerMessage), limits);
    const results = await Promise.allSettled(sizes.map((size) => deps.source.pull(size)));
    let received = 0;
    let failure: unknown;
    for (const result of results) {
      if (result.status === 'fulfilled') {
        messages.push(...result.value);
        received += result.value.length;
        for (const message of result.value) rows += eventCount(message.attributes);
      } else failure ??= result.reason;
    }
    if (failure !== undefined) return { messages, rows, error: failure };
    if (received === 0 || deps.clock() >= until) break;
    eventsPerMessage = Math.max(1, Math.ceil(rows / messages.length));
  }
  return { messages, rows };
}

/** Shares `remaining` among parallel pulls, so together they never ask for more. */
export function pullSizes(
  remaining: number,
  limits: Pick<LoaderLimits, 'pullConcurrency' | 'maxMessagesPerPull'>,
): number[] {
  const pulls = Math.min(limits.pullConcurrency, remaining);
  const base = Math.floor(remaining / pulls);
  return Array.from({ length: pulls }, (_, i) =>
    Math.min(limits.maxMessagesPerPull, base + (i < remaining % pulls ? 1 : 0)),
  );
}

async function release(deps: LoaderDeps, ackIds: string[]): Promise<number> {
  try {
    await deps.source.release(ackIds);
    return ackIds.length;
  } catch (error) {
    // They come back anyway once the ack deadline passes.
    deps.logger.warn({ err: error }, 'releasing messages failed');
    return 0;
  }
}
