import type { RateShareStore } from './rateShareStore.ts';

/**
 * How many instances share the limits, as one instance sees it: it announces itself
 * every `announceMs` (alive for three announcements) and reads the count at most once a
 * `readMs`. Every limiter of the instance asks this one object, so an instance announces
 * and counts once, however many limiters it runs.
 */
export class LiveInstances {
  readonly #store: Pick<RateShareStore, 'announce' | 'instances'>;
  readonly #instanceId: string;
  readonly #announceMs: number;
  readonly #readMs: number;
  #count = 1;
  #announcedAt = -Infinity;
  #readAt = -Infinity;
  #pending: Promise<number> | undefined;

  constructor(
    store: Pick<RateShareStore, 'announce' | 'instances'>,
    instanceId: string,
    options: { announceMs: number; readMs: number },
  ) {
    this.#store = store;
    this.#instanceId = instanceId;
    this.#announceMs = options.announceMs;
    this.#readMs = options.readMs;
  }

  /** The count as last read; 1 until the store first answers. */
  get count(): number {
    return this.#count;
  }

  announceDue(now: number): boolean {
    return now - this.#announcedAt >= this.#announceMs;
  }

  /** Announces if due, reads the count if it is older than `readMs`; one call at a time. */
  refresh(now: number): Promise<number> {
    if (this.#pending) return this.#pending;
    const announce = this.announceDue(now);
    if (!announce && now - this.#readAt < this.#readMs) return Promise.resolve(this.#count);
    if (announce) this.#announcedAt = now;
    this.#readAt = now;
    this.#pending = (
      announce
        ? this.#store.announce(this.#instanceId, now, now + 3 * this.#announceMs)
        : this.#store.instances(now)
    )
      .then((count) => (this.#count = Math.max(1, count)))
      .finally(() => {
        this.#pending = undefined;
      });
    return this.#pending;
  }
}
