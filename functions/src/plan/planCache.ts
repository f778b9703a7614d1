import { emptyPlan, type PublishedPlan } from './trackingPlan.ts';

const retryAfterFailureMs = 5_000;

/**
 * The plan as one instance enforces it: read again once it is older than `maxAgeMs`
 * (so a publish reaches every instance within that), and at once when a message names a
 * newer revision (a replay checked against it). One read at a time, whoever asks.
 */
export class PlanCache {
  readonly #read: () => Promise<PublishedPlan>;
  readonly #maxAgeMs: number;
  readonly #clock: () => number;
  #plan: PublishedPlan | undefined;
  #readAt = 0;
  #failedAt = -Infinity;
  #reading: Promise<PublishedPlan> | undefined;

  constructor(
    read: () => Promise<PublishedPlan>,
    options: { maxAgeMs: number; clock?: () => number },
  ) {
    this.#read = read;
    this.#maxAgeMs = options.maxAgeMs;
    this.#clock = options.clock ?? Date.now;
  }

  /**
   * The plan at `revision` or newer. A failed read keeps the plan held (stale, never
   * absent); only an instance that never read one throws, so its message is retried.
   */
  async current(revision = 0): Promise<PublishedPlan> {
    const held = this.#plan;
    if (held && !this.#due() && held.revision >= revision) return held;
    if (held && this.#failedRecently()) return held;
    try {
      const plan = await this.#refresh();
      // A read that began before the revision asked for was published: read once more.
      return plan.revision >= revision ? plan : await this.#refresh();
    } catch (error) {
      if (held) return held;
      throw error;
    }
  }

  /** What is held, without waiting: the door's check never adds a read to a request. */
  held(): PublishedPlan {
    if ((!this.#plan || this.#due()) && !this.#failedRecently())
      this.#refresh().catch(() => undefined);
    return this.#plan ?? emptyPlan;
  }

  #due(): boolean {
    return this.#clock() - this.#readAt >= this.#maxAgeMs;
  }

  /** After a failed read the held plan serves for a while: no read per event while Firestore is down. */
  #failedRecently(): boolean {
    return this.#clock() - this.#failedAt < Math.min(this.#maxAgeMs, retryAfterFailureMs);
  }

  #refresh(): Promise<PublishedPlan> {
    this.#reading ??= this.#read()
      .catch((error: unknown) => {
        this.#failedAt = this.#clock();
        throw error;
      })
      .then((plan) => {
        // A slower read must not replace a newer plan.
        if (!this.#plan || plan.revision >= this.#plan.revision) this.#plan = plan;
        this.#readAt = this.#clock();
        return this.#plan;
      })
      .finally(() => {
        this.#reading = undefined;
      });
    return this.#reading;
  }
}
