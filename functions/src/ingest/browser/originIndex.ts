import { originAllowed } from './allowedOrigins.ts';

/**
 * The origins of every active browser key, for answers that come before any key is
 * known: a CORS preflight carries no credentials, and the tracker script is public. Read
 * from the key store at most once per window and shared by concurrent requests; a
 * cached answer comes back synchronously.
 */
export class BrowserOriginIndex {
  readonly #load: () => Promise<string[][]>;
  readonly #ttlMs: number;
  readonly #now: () => number;
  #patterns: string[] | undefined;
  #expiresAt = 0;
  #pending: Promise<string[]> | undefined;

  constructor(load: () => Promise<string[][]>, options: { ttlMs: number; now?: () => number }) {
    this.#load = load;
    this.#ttlMs = options.ttlMs;
    this.#now = options.now ?? Date.now;
  }

  allows(origin: string): boolean | Promise<boolean> {
    if (this.#patterns && this.#expiresAt > this.#now())
      return originAllowed(this.#patterns, origin);
    this.#pending ??= this.#refresh();
    return this.#pending.then((patterns) => originAllowed(patterns, origin));
  }

  async #refresh(): Promise<string[]> {
    try {
      const lists = await this.#load();
      this.#patterns = [...new Set(lists.flat())];
      this.#expiresAt = this.#now() + this.#ttlMs;
      return this.#patterns;
    } finally {
      this.#pending = undefined;
    }
  }
}
