import { describe, expect, it } from 'vitest';
import { frozenFilter, newReplayJob, presentJob, tally } from './bulkReplay.ts';

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
