import { describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.ts';
import { cookielessVisitorId, type VisitorTraits } from './visitorId.ts';
import { VisitorSaltHolder, type VisitorSaltStore } from './visitorSalts.ts';

/** One salt per day, created on first use: what the holder needs of a store here. */
function dailySalts(): VisitorSaltStore {
  const salts = new Map<string, Buffer>();
  return {
    saltOf: (day, candidate) => {
      if (!salts.has(day)) salts.set(day, candidate);
      return Promise.resolve(salts.get(day)!);
    },
    deleteBefore: () => Promise.resolve(0),
  };
}

let saltNumber = 0;
const holder = () => ({
  salts: new VisitorSaltHolder(dailySalts(), {
    logger: createLogger({ level: 'silent' }),
    newSalt: () => Buffer.alloc(32, (saltNumber += 1)),
  }),
});

const at = (iso: string) => new Date(iso);

async function idAt(
  salts: VisitorSaltHolder,
  when: string,
  traits: VisitorTraits,
  occurredAt?: string,
): Promise<string> {
  const held = await salts.at(at(when));
  return cookielessVisitorId(held.saltFor(occurredAt?.slice(0, 10)), traits);
}

const visitor: VisitorTraits = {
  site: 'shop',
  address: '203.0.113.7',
  userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/140',
};

describe('a cookieless visitor id', () => {
  it('is the same for the same site, address and user agent all day long', async () => {
    const { salts } = holder();
    const morning = await idAt(salts, '2026-03-01T00:00:00.000Z', visitor);
    const evening = await idAt(salts, '2026-03-01T23:59:59.999Z', visitor);
    expect(evening).toBe(morning);
    expect(morning).toMatch(/^vis_[A-Za-z0-9_-]{22}$/);
  });

  it.each([
    ['another user agent', { userAgent: 'Mozilla/5.0 (Macintosh) Safari/18' }],
    ['another site', { site: 'blog' }],
    ['another address', { address: '203.0.113.8' }],
    ['another IPv6 address', { address: '2001:db8::7' }],
  ])('differs with %s', async (_, change) => {
    const { salts } = holder();
    const one = await idAt(salts, '2026-03-01T12:00:00.000Z', visitor);
    const other = await idAt(salts, '2026-03-01T12:00:00.000Z', { ...visitor, ...change });
    expect(other).not.toBe(one);
  });

  it('differs the next day, from 00:00 UTC', async () => {
    const { salts } = holder();
    const before = await idAt(salts, '2026-03-01T23:59:59.999Z', visitor);
    const after = await idAt(salts, '2026-03-02T00:00:00.000Z', visitor);
    expect(after).not.toBe(before);
  });

  it('keeps fields apart: no two splits of the same text give one id', () => {
    const salt = Buffer.alloc(32, 1);
    const a = cookielessVisitorId(salt, { site: 'ab', address: 'c', userAgent: 'd' });
    const b = cookielessVisitorId(salt, { site: 'a', address: 'bc', userAgent: 'd' });
    expect(a).not.toBe(b);
  });

  it("counts a late event of yesterday with yesterday's salt, and an older one with today's", async () => {
    const { salts } = holder();
    const yesterday = await idAt(salts, '2026-03-01T23:59:00.000Z', visitor);
    const late = await idAt(salts, '2026-03-02T00:00:05.000Z', visitor, '2026-03-01T23:59:58.000Z');
    const today = await idAt(salts, '2026-03-02T00:00:05.000Z', visitor);
    const old = await idAt(salts, '2026-03-02T00:00:05.000Z', visitor, '2026-02-20T10:00:00.000Z');
    expect(late).toBe(yesterday);
    expect(old).toBe(today);
    expect(today).not.toBe(yesterday);
  });
});
