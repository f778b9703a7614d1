/**
 * The suppression list and the erasure tombstones, as every instance holds them: changes
 * appended in order (`privacy_list_changes`, numbered by `privacy_list/head`), read
 * incrementally, so holding 100,000 suppressed subjects costs one read of the head per
 * refresh and nothing per event.
 */

export type PrivacyOp = 'suppress' | 'unsuppress' | 'erase';

export type PrivacyChange = {
  seq: number;
  regulationId: string;
  op: PrivacyOp;
  /** Keyed hashes of the subjects (see `SubjectHasher`). */
  hashes: string[];
  /** When the regulation was filed: an erasure drops events received before it. */
  at: Date;
  /** Erasures only: when the tombstone may go (no queue holds a message that long). */
  until: Date | null;
};

export interface PrivacyListStore {
  /** Changes after `seq`, in order, and the newest number; one read when nothing changed. */
  changesAfter(seq: number): Promise<{ seq: number; changes: PrivacyChange[] }>;
  /** Appends a change under the next number; returns the number. */
  append(change: Omit<PrivacyChange, 'seq'>): Promise<number>;
}

/** What the list says of an event: dropped because suppressed, or because erased. */
export type SubjectVerdict = 'suppressed' | 'erased' | undefined;

/** The list at one moment. Pure: built from changes, asked about hashes. */
export class PrivacyListState {
  readonly seq: number;
  readonly #suppressed: ReadonlySet<string>;
  /** By hash: the latest erasure's time and how long it is kept, as epoch ms. */
  readonly #erased: ReadonlyMap<string, { at: number; until: number }>;

  private constructor(
    seq: number,
    suppressed: ReadonlySet<string>,
    erased: ReadonlyMap<string, { at: number; until: number }>,
  ) {
    this.seq = seq;
    this.#suppressed = suppressed;
    this.#erased = erased;
  }

  static empty(): PrivacyListState {
    return new PrivacyListState(0, new Set(), new Map());
  }

  /** This state with `changes` (numbered after it) applied in order. */
  apply(seq: number, changes: readonly PrivacyChange[]): PrivacyListState {
    if (changes.length === 0 && seq === this.seq) return this;
    const suppressed = new Set(this.#suppressed);
    const erased = new Map(this.#erased);
    for (const change of changes) {
      if (change.seq <= this.seq) continue;
      for (const hash of change.hashes) {
        if (change.op === 'suppress') suppressed.add(hash);
        else if (change.op === 'unsuppress') suppressed.delete(hash);
        else
          erased.set(hash, {
            at: Math.max(change.at.getTime(), erased.get(hash)?.at ?? 0),
            until: Math.max(change.until?.getTime() ?? 0, erased.get(hash)?.until ?? 0),
          });
      }
    }
    return new PrivacyListState(Math.max(seq, this.seq), suppressed, erased);
  }

  get empty(): boolean {
    return this.#suppressed.size === 0 && this.#erased.size === 0;
  }

  get suppressedCount(): number {
    return this.#suppressed.size;
  }

  /** Suppressed: dropped whenever seen. Erased: dropped if received before the erasure. */
  verdict(hashes: readonly string[], receivedAt: Date | string, now: number): SubjectVerdict {
    let verdict: SubjectVerdict;
    const received = typeof receivedAt === 'string' ? Date.parse(receivedAt) : receivedAt.getTime();
    for (const hash of hashes) {
      if (this.#suppressed.has(hash)) return 'suppressed';
      const erasure = this.#erased.get(hash);
      if (erasure && erasure.until > now && !(received > erasure.at)) verdict = 'erased';
    }
    return verdict;
  }
}

/**
 * One instance's copy of the list: refreshed when older than `maxAgeMs`, the first read
 * awaited, later ones shared. A refresh that fails keeps the copy held and tries again
 * after `retryMs`; the bound on staleness holds while Firestore answers.
 */
export class HeldPrivacyList {
  readonly #store: Pick<PrivacyListStore, 'changesAfter'>;
  readonly #maxAgeMs: number;
  readonly #retryMs: number;
  readonly #clock: () => number;
  readonly #onError: (error: unknown) => void;
  #state: PrivacyListState | undefined;
  #checkedAt = 0;
  #refreshing: Promise<PrivacyListState> | undefined;

  constructor(
    store: Pick<PrivacyListStore, 'changesAfter'>,
    options: {
      maxAgeMs: number;
      retryMs?: number;
      clock?: () => number;
      onError?: (error: unknown) => void;
    },
  ) {
    this.#store = store;
    this.#maxAgeMs = options.maxAgeMs;
    this.#retryMs = options.retryMs ?? 5_000;
    this.#clock = options.clock ?? Date.now;
    this.#onError = options.onError ?? (() => undefined);
  }

  /** The list no older than `maxAgeMs`; throws only when it was never read. */
  async current(): Promise<PrivacyListState> {
    const state = this.#state;
    if (state && this.#clock() - this.#checkedAt < this.#maxAgeMs) return state;
    this.#refreshing ??= this.#refresh().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #refresh(): Promise<PrivacyListState> {
    const held = this.#state ?? PrivacyListState.empty();
    const started = this.#clock();
    try {
      const { seq, changes } = await this.#store.changesAfter(held.seq);
      this.#state = held.apply(seq, changes);
      this.#checkedAt = started;
      return this.#state;
    } catch (error) {
      if (!this.#state) throw error;
      this.#onError(error);
      // Serve what is held; try again soon rather than on every call.
      this.#checkedAt = started - this.#maxAgeMs + this.#retryMs;
      return this.#state;
    }
  }
}
