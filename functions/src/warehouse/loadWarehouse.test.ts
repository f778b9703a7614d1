import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  FakePullSource,
  FakeRejectionStore,
  FakeWarehouse,
  processedBatchMessage,
  processedMessage,
} from '../../../test/support/warehouseFakes.ts';
import { createLogger } from '../lib/logger.ts';
import { pullSizes, runLoader, type LoaderDeps, type LoaderLimits } from './loadWarehouse.ts';

const limits: LoaderLimits = {
  batchRows: 100,
  maxRowsPerRun: 10_000,
  maxEventsPerMessage: 500,
  runBudgetMs: 60_000,
  pullConcurrency: 4,
  batchWaitMs: 60_000,
  maxMessagesPerPull: 1000,
};

function messages(count: number): ReturnType<typeof processedMessage>[] {
  return Array.from({ length: count }, (_, i) => processedMessage(`ack-${i}`));
}

function loader(
  source: FakePullSource,
  options: { limits?: Partial<LoaderLimits>; clock?: () => number } = {},
): LoaderDeps & { warehouse: FakeWarehouse; rejections: FakeRejectionStore } {
  return {
    source,
    warehouse: new FakeWarehouse(),
    rejections: new FakeRejectionStore(),
    logger: createLogger({ level: 'silent' }),
    now: () => new Date('2026-01-02T00:00:00Z'),
    clock: options.clock ?? (() => 0),
    limits: { ...limits, ...options.limits },
  };
}

describe('runLoader', () => {
  it('drains the subscription in full batches, one warehouse call each, and acknowledges every message', async () => {
    // Pub/Sub hands out fewer messages per pull than asked: batches are assembled from several pulls.
    const source = new FakePullSource(messages(350), { perPull: 20 });
    const deps = loader(source);
    const report = await runLoader(deps);
    expect(deps.warehouse.calls).toEqual([100, 100, 100, 50]);
    expect(deps.warehouse.rows).toHaveLength(350);
    expect(source.acknowledged).toHaveLength(350);
    expect(report).toMatchObject({
      batches: 4,
      messages: 350,
      rowsWritten: 350,
      stoppedBy: 'drained',
    });
  });

  it('takes messages of many events by their events: few messages per pull, one row per event', async () => {
    const batches = Array.from({ length: 6 }, (_, i) =>
      processedBatchMessage(
        `batch-${i}`,
        Array.from({ length: 50 }, () => ({})),
      ),
    );
    const source = new FakePullSource(batches);
    const deps = loader(source, { limits: { maxEventsPerMessage: 50 } });
    const report = await runLoader(deps);
    // 300 events in 6 messages, written 100 rows a time: two messages per batch.
    expect(deps.warehouse.calls).toEqual([100, 100, 100]);
    expect(source.acknowledged).toEqual(batches.map((m) => m.ackId));
    expect(report).toMatchObject({ messages: 6, rowsWritten: 300, stoppedBy: 'drained' });
  });

  it('writes an event delivered twice in one batch once, and acknowledges both deliveries', async () => {
    const id = randomUUID();
    const source = new FakePullSource([processedMessage('a', id), processedMessage('b', id)]);
    const deps = loader(source);
    const report = await runLoader(deps);
    expect(deps.warehouse.rows.map((r) => r.event_id)).toEqual([id]);
    expect(source.acknowledged.sort()).toEqual(['a', 'b']);
    expect(report.duplicates).toBe(1);
  });

  it('records a row refused for good with its reason and acknowledges it, so it never comes back', async () => {
    const refused = randomUUID();
    const source = new FakePullSource([
      processedMessage('a'),
      processedMessage('bad', refused),
      { ...processedMessage('junk'), data: Buffer.from('not json') },
    ]);
    const deps = loader(source);
    deps.warehouse.refuse.set(refused, 'payload: too deep');
    const report = await runLoader(deps);
    expect(deps.rejections.recorded).toEqual([
      expect.objectContaining({
        eventId: refused,
        reason: 'payload: too deep',
        messageId: 'm-bad',
      }),
      expect.objectContaining({ reason: 'message data is not JSON', data: 'not json' }),
    ]);
    expect(source.acknowledged.sort()).toEqual(['a', 'bad', 'junk']);
    expect(source.queue).toEqual([]);
    expect(report).toMatchObject({ rowsWritten: 1, rejected: 2, stoppedBy: 'drained' });
  });

  it('hands a batch back when the warehouse fails, and stops', async () => {
    const source = new FakePullSource(messages(150));
    const deps = loader(source);
    deps.warehouse.failures = 1;
    const report = await runLoader(deps);
    expect(report).toMatchObject({
      stoppedBy: 'warehouse_unavailable',
      rowsWritten: 0,
      released: 100,
      error: 'warehouse down',
    });
    expect(source.acknowledged).toEqual([]);
    expect(source.queue).toHaveLength(150);
    // The next run writes everything.
    const next = await runLoader(deps);
    expect(next.rowsWritten).toBe(150);
    expect(source.acknowledged).toHaveLength(150);
  });

  it('keeps refused rows whose reason could not be recorded, and acknowledges the rest', async () => {
    const refused = randomUUID();
    const source = new FakePullSource([processedMessage('a'), processedMessage('bad', refused)]);
    const deps = loader(source);
    deps.warehouse.refuse.set(refused, 'nope');
    deps.rejections.failures = 1;
    const report = await runLoader(deps);
    expect(source.acknowledged).toEqual(['a']);
    expect(source.released).toEqual(['bad']);
    expect(report).toMatchObject({ rejected: 0, stoppedBy: 'record_failed' });
    // The next run records it and lets it go.
    await runLoader(deps);
    expect(deps.rejections.recorded.map((r) => r.eventId)).toEqual([refused]);
    expect(source.acknowledged).toEqual(['a', 'bad']);
  });

  it('starts no batch once its time budget is spent', async () => {
    let now = 0;
    const source = new FakePullSource(messages(500));
    const deps = loader(source, {
      limits: { runBudgetMs: 1000 },
      clock: () => now,
    });
    const write = deps.warehouse.write.bind(deps.warehouse);
    deps.warehouse.write = async (rows) => {
      now += 600; // each write takes 0.6 s of the budget
      return write(rows);
    };
    const report = await runLoader(deps);
    expect(report).toMatchObject({ batches: 2, rowsWritten: 200, stoppedBy: 'budget' });
    expect(source.queue).toHaveLength(300);
  });

  it.each([
    [50, 4, 1000, [13, 13, 12, 12]],
    [3, 4, 1000, [1, 1, 1]],
    [10_000, 4, 1000, [1000, 1000, 1000, 1000]],
  ])(
    'shares %i messages among at most %i pulls of at most %i',
    (remaining, concurrency, max, sizes) => {
      expect(
        pullSizes(remaining, { pullConcurrency: concurrency, maxMessagesPerPull: max }),
      ).toEqual(sizes);
    },
  );

  it('takes at most its row limit per run', async () => {
    const source = new FakePullSource(messages(500));
    const deps = loader(source, { limits: { maxRowsPerRun: 250 } });
    const report = await runLoader(deps);
    expect(deps.warehouse.calls).toEqual([100, 100, 50]);
    expect(report.stoppedBy).toBe('max_rows');
  });

  it('stops on a failing pull, having written nothing it did not acknowledge', async () => {
    const source = new FakePullSource(messages(10));
    source.failPulls = true;
    const deps = loader(source);
    const report = await runLoader(deps);
    expect(report).toMatchObject({ stoppedBy: 'pull_failed', messages: 0, error: 'pull failed' });
    expect(deps.warehouse.calls).toEqual([]);
  });
});
