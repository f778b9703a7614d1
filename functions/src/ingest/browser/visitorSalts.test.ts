import { describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.ts';
import { VisitorSaltHolder, visitorSaltExpiry, type VisitorSaltStore } from './visitorSalts.ts';

const logger = createLogger({ level: 'silent' });

/** Salts in a map, as the Firestore store keeps them: created once, deleted by day. */
class MemorySaltStore implements VisitorSaltStore {
  readonly salts = new Map<string, { salt: Buffer; expireAt: Date }>();
  reads = 0;
  failDeletes = false;

  saltOf(day: string, candidate: Buffer, expireAt: Date): Promise<Buffer> {
    this.reads += 1;
    if (!this.salts.has(day)) this.salts.set(day, { salt: candidate, expireAt });
    return Promise.resolve(this.salts.get(day)!.salt);
  }

  deleteBefore(day: string): Promise<number> {
    if (this.failDeletes) return Promise.reject(Object.assign(new Error('down'), { code: 14 }));
    const expired = [...this.salts.keys()].filter((stored) => stored < day);
    for (const stored of expired) this.salts.delete(stored);
    return Promise.resolve(expired.length);
  }
}

/** Distinct salts, numbered, so a test can tell which one was used. */
function numberedSalts(): () => Buffer {
  let n = 0;
  return () => Buffer.alloc(32, (n += 1));
}

function holder(store = new MemorySaltStore()) {
  return {
    store,
    salts: new VisitorSaltHolder(store, { logger, newSalt: numberedSalts() }),
  };
}

const at = (iso: string) => new Date(iso);

describe('the salt holder', () => {
  it('reads the store once a day and answers from memory in between', async () => {
    const { salts, store } = holder();
    const first = salts.at(at('2026-03-01T08:00:00.000Z'));
    expect(first).toBeInstanceOf(Promise);
    await first;
    const readsAfterLoad = store.reads;
    const later = salts.at(at('2026-03-01T20:00:00.000Z'));
    expect(later).not.toBeInstanceOf(Promise);
    expect(store.reads).toBe(readsAfterLoad);
  });

  it('rotates at 00:00 UTC: the new day gets a new salt, yesterday keeps its own', async () => {
    const { salts } = holder();
    const monday = await salts.at(at('2026-03-01T23:59:59.999Z'));
    expect(monday.today).toBe('2026-03-01');
    const tuesday = await salts.at(at('2026-03-02T00:00:00.000Z'));
    expect(tuesday.today).toBe('2026-03-02');
    expect(tuesday.saltFor('2026-03-02').equals(monday.saltFor('2026-03-01'))).toBe(false);
    expect(tuesday.saltFor('2026-03-01').equals(monday.saltFor('2026-03-01'))).toBe(true);
  });

  it('shares one load between the requests of a new day', async () => {
    const { salts, store } = holder();
    const [a, b] = await Promise.all([
      salts.at(at('2026-03-01T00:00:01.000Z')),
      salts.at(at('2026-03-01T00:00:02.000Z')),
    ]);
    expect(a).toBe(b);
    expect(store.reads).toBe(2);
  });

  it('takes the salts held for a moment of an earlier day (another clock, midnight)', async () => {
    const { salts } = holder();
    const held = await salts.at(at('2026-03-02T00:00:00.500Z'));
    expect(salts.at(at('2026-03-01T23:59:59.900Z'))).toBe(held);
  });

  it('two holders on one store agree on each day', async () => {
    const store = new MemorySaltStore();
    const one = new VisitorSaltHolder(store, { logger, newSalt: numberedSalts() });
    const two = new VisitorSaltHolder(store, { logger, newSalt: () => Buffer.alloc(32, 99) });
    const a = await one.at(at('2026-03-01T10:00:00.000Z'));
    const b = await two.at(at('2026-03-01T11:00:00.000Z'));
    expect(b.saltFor('2026-03-01').equals(a.saltFor('2026-03-01'))).toBe(true);
  });

  it('deletes salts once 48 hours have passed since their day began', async () => {
    const { salts, store } = holder();
    await salts.at(at('2026-03-01T12:00:00.000Z'));
    expect([...store.salts.keys()].sort()).toEqual(['2026-02-28', '2026-03-01']);
    expect(visitorSaltExpiry('2026-02-28')).toEqual(at('2026-03-02T00:00:00.000Z'));
    expect(store.salts.get('2026-03-01')?.expireAt).toEqual(at('2026-03-03T00:00:00.000Z'));
    // Just before 48 hours: nothing is past its time.
    await salts.at(at('2026-03-01T23:59:59.999Z'));
    expect([...store.salts.keys()].sort()).toEqual(['2026-02-28', '2026-03-01']);
    // 00:00 on 2 March: the salt of 28 February is 48 hours old, and goes.
    await salts.at(at('2026-03-02T00:00:00.000Z'));
    expect([...store.salts.keys()].sort()).toEqual(['2026-03-01', '2026-03-02']);
    // Days without traffic: the first request after them deletes what is past.
    await salts.at(at('2026-03-09T07:00:00.000Z'));
    expect([...store.salts.keys()].sort()).toEqual(['2026-03-08', '2026-03-09']);
  });

  it('holds no more than two days in memory', async () => {
    const { salts } = holder();
    await salts.at(at('2026-03-01T12:00:00.000Z'));
    await salts.at(at('2026-03-02T12:00:00.000Z'));
    const held = await salts.at(at('2026-03-03T12:00:00.000Z'));
    expect([...held.kept().keys()].sort()).toEqual(['2026-03-02', '2026-03-03']);
  });

  it('still gives the salts when the deletion fails (the TTL policy deletes them later)', async () => {
    const store = new MemorySaltStore();
    store.failDeletes = true;
    const lines: string[] = [];
    const salts = new VisitorSaltHolder(store, {
      logger: createLogger({ level: 'warn', destination: { write: (line) => lines.push(line) } }),
      newSalt: numberedSalts(),
    });
    const held = await salts.at(at('2026-03-01T12:00:00.000Z'));
    expect(held.today).toBe('2026-03-01');
    expect(lines).toHaveLength(1);
    // The salt is never in a log line, in any encoding.
    const salt = held.saltFor('2026-03-01');
    for (const encoding of ['hex', 'base64', 'base64url'] as const)
      expect(lines[0]).not.toContain(salt.toString(encoding));
  });
});
