import type { ViolationCounts } from './violationCounts.ts';

/**
 * One instance's violation counts not yet written. A delivery adds the events it found
 * breaking the plan for the first time and writes what earlier deliveries added beside
 * its own claims, so a delivery never waits for a count of its own; what is left when
 * deliveries stop is written a second later. One write at a time; a write that fails is
 * dropped and logged, never repeated, so a count is never over: at worst an instance
 * shut down with counts held leaves its last second's short.
 */
export class ViolationTally {
  readonly #counts: ViolationCounts;
  readonly #flushAfterMs: number;
  readonly #onError: (error: unknown, types: number) => void;
  /** By UTC day, by type. */
  #pending = new Map<string, Map<string, number>>();
  #writing: Promise<void> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    counts: ViolationCounts,
    options: { flushAfterMs: number; onError: (error: unknown, types: number) => void },
  ) {
    this.#counts = counts;
    this.#flushAfterMs = options.flushAfterMs;
    this.#onError = options.onError;
  }

  add(day: string, byType: ReadonlyMap<string, number>): void {
    if (byType.size === 0) return;
    const held = this.#pending.get(day) ?? new Map<string, number>();
    for (const [type, count] of byType) held.set(type, (held.get(type) ?? 0) + count);
    this.#pending.set(day, held);
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, this.#flushAfterMs);
    this.#timer.unref?.();
  }

  /** Writes what is held, one write per day; a write already under way is shared. */
  flush(): Promise<void> {
    if (this.#writing || this.#pending.size === 0) return this.#writing ?? Promise.resolve();
    const taken = this.#pending;
    this.#pending = new Map();
    this.#writing = Promise.all(
      [...taken].map(([day, byType]) =>
        this.#counts.add(day, byType).catch((error: unknown) => this.#onError(error, byType.size)),
      ),
    )
      .then(() => undefined)
      .finally(() => {
        this.#writing = undefined;
      });
    return this.#writing;
  }
}
