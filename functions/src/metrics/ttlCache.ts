/**
 * Answers kept for a short time, shared by concurrent callers: a burst of identical
 * requests starts one computation, and later requests within the time to live reuse
 * it. A failed computation is forgotten at once.
 */
export class TtlCache<T> {
  readonly #ttlMs: number;
  readonly #clock: () => number;
  readonly #maxEntries: number;
  readonly #entries = new Map<string, { value: Promise<T>; expiresAt: number }>();

  constructor(options: { ttlMs: number; clock: () => number; maxEntries?: number }) {
    this.#ttlMs = options.ttlMs;
    this.#clock = options.clock;
    this.#maxEntries = options.maxEntries ?? 1000;
  }

  get(key: string, compute: () => Promise<T>): Promise<T> {
    const now = this.#clock();
    const cached = this.#entries.get(key);
    if (cached && cached.expiresAt > now) return cached.value;
    this.#entries.delete(key);
    const value = compute();
    const entry = { value, expiresAt: now + this.#ttlMs };
    this.#entries.set(key, entry);
    value.catch(() => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
    });
    // Oldest first: a Map iterates in insertion order.
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.#maxEntries) break;
      this.#entries.delete(oldest);
    }
    return value;
  }
}
