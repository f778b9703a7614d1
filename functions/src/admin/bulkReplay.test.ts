import { describe, expect, it } from 'vitest';
import {
  frozenFilter,
  newReplayJob,
  presentJob,
  runReplayJob,
  tally,
  type BulkReplayDeps,
  type ReplayJob,
} from './bulkReplay.ts';

const start = new Date('2026-01-02T03:00:00Z');

describe('bulk replay jobs', () => {
  it('freeze the time range at their start, so later failures are left out', () => {
    expect(frozenFilter({ statuses: ['FAILED'] }, start).to).toEqual(start);
    const earlier = new Date('2026-01-01T00:00:00Z');
    expect(frozenFilter({ statuses: ['FAILED'], to: earlier }, start).to).toEqual(earlier);
    expect(frozenFilter({ statuses: ['FAILED'], to: new Date('2027-01-01') }, start).to).toEqual(
      start,
    );
  });

  it('are complete at once when nothing matches', () => {
    expect(newReplayJob({ statuses: ['FAILED'] }, 0, start, 30)).toMatchObject({
      status: 'completed',
      finishedAt: start,
    });
  });

  it('count each page: replayed, skipped when changed meanwhile, failed when not published', () => {
    const job = newReplayJob({ statuses: ['DEAD_LETTER'] }, 5, start, 30);
    const after = tally(job, [
      { kind: 'replayed', eventId: 'a', replay: 1 },
      { kind: 'replayed', eventId: 'b', replay: 1 },
      { kind: 'refused', eventId: 'c', reason: 'queued' },
      { kind: 'not_found', eventId: 'd' },
      { kind: 'unavailable', eventId: 'e', reason: 'down' },
    ]);
    expect(presentJob(after)).toMatchObject({
      status: 'running',
      matched: 5,
      replayed: 2,
      skipped: 2,
      failed: 1,
      remaining: 0,
      pages: 1,
    });
  });
});

describe('a bulk replay run', () => {
  it('writes its record at most once a second, and once more when it ends', async () => {
    const saved: ReplayJob[] = [];
    let page = 0;
    // Five quick pages of events gone meanwhile: nothing to replay, only progress to save.
    const deps = {
      queries: {
        failedPage: () => {
          page += 1;
          const items = [{ eventId: `gone-${page}` }];
          const next = page < 5 ? { failedAt: start, eventId: `gone-${page}` } : null;
          return Promise.resolve({ items, next });
        },
      },
      events: { get: () => Promise.resolve(undefined) },
      jobs: { save: (job: ReplayJob) => Promise.resolve(void saved.push(job)) },
      pageSize: 1,
      concurrency: 1,
      budgetMs: 60_000,
      now: () => start,
    } as unknown as BulkReplayDeps;
    const job = newReplayJob({ statuses: ['FAILED'] }, 5, start, 30);
    const done = await runReplayJob(job, deps);
    expect(done).toMatchObject({ status: 'completed', pages: 5, skipped: 5 });
    expect(saved).toHaveLength(1);
    expect(saved[0]).toEqual(done);
  });
});
