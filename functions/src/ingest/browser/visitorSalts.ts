import { randomBytes } from 'node:crypto';
import type { Logger } from '../../lib/logger.ts';
import { addDays, startOfDay, utcDay } from '../../metrics/dates.ts';

/** A salt is 32 random bytes, one per UTC day. */
export const visitorSaltBytes = 32;

/**
 * A day's salt lives 48 hours from the start of its day: through its day, when it
 * counts the day's visitors, and the next, when late events of its day still arrive.
 */
export const visitorSaltLifetimeHours = 48;

/** Where the salts are shared between instances (Firestore, `visitor_salts/{day}`). */
export interface VisitorSaltStore {
  /**
   * The salt of `day`: the one stored, else `candidate`, stored now with `expireAt`.
   * Created, never overwritten: instances that race agree on the first one stored.
   */
  saltOf(day: string, candidate: Buffer, expireAt: Date): Promise<Buffer>;
  /** Deletes the salts of the days before `day`; answers how many it deleted. */
  deleteBefore(day: string): Promise<number>;
}

/** When the salt of `day` is destroyed. */
export function visitorSaltExpiry(day: string): Date {
  return new Date(startOfDay(day).getTime() + visitorSaltLifetimeHours * 3_600_000);
}

/** The salts an instance holds at one moment: today's and yesterday's, nothing older. */
export class HeldSalts {
  readonly today: string;
  readonly #byDay: ReadonlyMap<string, Buffer>;

  constructor(today: string, byDay: ReadonlyMap<string, Buffer>) {
    this.today = today;
    this.#byDay = byDay;
  }

  /**
   * The salt of the day an event happened on, so that a day's visitors are counted
   * with one salt; an event dated outside today and yesterday takes today's.
   */
  saltFor(day: string | undefined): Buffer {
    return (day === undefined ? undefined : this.#byDay.get(day)) ?? this.#byDay.get(this.today)!;
  }

  /** Today's and yesterday's salts, for the holder's next day. */
  kept(): ReadonlyMap<string, Buffer> {
    return this.#byDay;
  }
}

/**
 * The visitor salts of one instance, held in memory and read from the store once per UTC
 * day: the first request after 00:00 UTC loads the new day's salt (creating it when no
 * instance has yet), keeps yesterday's and forgets the one before, and deletes from the
 * store every salt older than 48 hours. A salt is never logged.
 */
export class VisitorSaltHolder {
  readonly #store: VisitorSaltStore;
  readonly #logger: Logger;
  readonly #newSalt: () => Buffer;
  #held: HeldSalts | undefined;
  #loading: { today: string; salts: Promise<HeldSalts> } | undefined;

  constructor(store: VisitorSaltStore, options: { logger: Logger; newSalt?: () => Buffer }) {
    this.#store = store;
    this.#logger = options.logger;
    this.#newSalt = options.newSalt ?? (() => randomBytes(visitorSaltBytes));
  }

  /**
   * The salts to use at `at`. Synchronous while the day is the one held; a moment of an
   * earlier day (another instance's clock, a request in flight at midnight) takes the
   * salts held. Concurrent requests of a new day share one load.
   */
  at(at: Date): HeldSalts | Promise<HeldSalts> {
    const today = utcDay(at);
    const held = this.#held;
    if (held && today <= held.today) return held;
    if (this.#loading?.today === today) return this.#loading.salts;
    const salts = this.#load(today, held).then((loaded) => {
      if (!this.#held || this.#held.today < loaded.today) this.#held = loaded;
      return loaded;
    });
    const loading = { today, salts };
    this.#loading = loading;
    const done = () => {
      if (this.#loading === loading) this.#loading = undefined;
    };
    salts.then(done, done);
    return salts;
  }

  async #load(today: string, held: HeldSalts | undefined): Promise<HeldSalts> {
    const yesterday = addDays(today, -1);
    const kept = held?.kept();
    const saltOf = (day: string) =>
      kept?.get(day) ?? this.#store.saltOf(day, this.#newSalt(), visitorSaltExpiry(day));
    const [todaySalt, yesterdaySalt] = await Promise.all([
      saltOf(today),
      saltOf(yesterday),
      this.#deleteExpired(yesterday),
    ]);
    return new HeldSalts(
      today,
      new Map([
        [today, todaySalt],
        [yesterday, yesterdaySalt],
      ]),
    );
  }

  /** Salts of the days before yesterday are past their 48 hours; the TTL policy is a backstop. */
  async #deleteExpired(yesterday: string): Promise<void> {
    try {
      await this.#store.deleteBefore(yesterday);
    } catch (error) {
      // The salts are not in the error; what failed is enough to see it.
      this.#logger.warn(
        { code: (error as { code?: unknown }).code },
        'expired visitor salts not deleted: the TTL policy will',
      );
    }
  }
}
