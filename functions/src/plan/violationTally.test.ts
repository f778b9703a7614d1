import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ViolationCounts } from './violationCounts.ts';
import { ViolationTally } from './violationTally.ts';

class RecordingCounts implements ViolationCounts {
  writes: { day: string; byType: Record<string, number> }[] = [];
  failNext = false;
  release: (() => void) | undefined;
  hold = false;

  async add(day: string, byType: ReadonlyMap<string, number>): Promise<void> {
    if (this.hold) await new Promise<void>((resolve) => (this.release = resolve));
    if (this.failNext) {
      this.failNext = false;
      throw new Error('firestore down');
    }
    this.writes.push({ day, byType: Object.fromEntries(byType) });
  }

  async read(): Promise<Map<string, number>> {
    return new Map();
  }
}

const types = (entries: Record<string, number>) => new Map(Object.entries(entries));

function tallyOver(counts: RecordingCounts) {
  const errors: unknown[] = [];
  const tally = new ViolationTally(counts, {
    flushAfterMs: 1_000,
    onError: (error) => errors.push(error),
  });
  return { tally, errors };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('ViolationTally', () => {
  it('writes what deliveries added, summed, one write per day', async () => {
    const counts = new RecordingCounts();
    const { tally } = tallyOver(counts);
    tally.add('2026-12-07', types({ 'order.completed': 2 }));
    tally.add('2026-12-07', types({ 'order.completed': 1, 'page.viewed': 4 }));
    tally.add('2026-12-06', types({ 'page.viewed': 1 }));
    await tally.flush();
    expect(counts.writes).toEqual([
      { day: '2026-12-07', byType: { 'order.completed': 3, 'page.viewed': 4 } },
      { day: '2026-12-06', byType: { 'page.viewed': 1 } },
    ]);
    await tally.flush();
    expect(counts.writes).toHaveLength(2);
  });

  it('writes nothing when nothing was added', async () => {
    const counts = new RecordingCounts();
    const { tally } = tallyOver(counts);
    tally.add('2026-12-07', new Map());
    await tally.flush();
    expect(counts.writes).toEqual([]);
  });

  it('shares a write under way; what is added meanwhile goes with the next', async () => {
    const counts = new RecordingCounts();
    const { tally } = tallyOver(counts);
    counts.hold = true;
    tally.add('2026-12-07', types({ a: 1 }));
    const first = tally.flush();
    tally.add('2026-12-07', types({ a: 5 }));
    const second = tally.flush();
    counts.hold = false;
    counts.release?.();
    await Promise.all([first, second]);
    expect(counts.writes).toEqual([{ day: '2026-12-07', byType: { a: 1 } }]);
    await tally.flush();
    expect(counts.writes).toEqual([
      { day: '2026-12-07', byType: { a: 1 } },
      { day: '2026-12-07', byType: { a: 5 } },
    ]);
  });

  it('drops a failed write and reports it: a count is never over', async () => {
    const counts = new RecordingCounts();
    const { tally, errors } = tallyOver(counts);
    counts.failNext = true;
    tally.add('2026-12-07', types({ a: 2 }));
    await tally.flush();
    expect(errors).toHaveLength(1);
    await tally.flush();
    expect(counts.writes).toEqual([]);
  });

  it('writes what is left a second after the last delivery', async () => {
    vi.useFakeTimers();
    const counts = new RecordingCounts();
    const { tally } = tallyOver(counts);
    tally.add('2026-12-07', types({ a: 1 }));
    await vi.advanceTimersByTimeAsync(999);
    expect(counts.writes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(counts.writes).toEqual([{ day: '2026-12-07', byType: { a: 1 } }]);
  });
});
