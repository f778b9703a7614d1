import { describe, expect, it } from 'vitest';
import { HeldPrivacyList, PrivacyListState, type PrivacyChange } from './privacyList.ts';

const at = new Date('2026-12-07T12:00:00Z');
const change = (seq: number, op: PrivacyChange['op'], hashes: string[]): PrivacyChange => ({
  seq,
  regulationId: `r${seq}`,
  op,
  hashes,
  at,
  until: op === 'erase' ? new Date(at.getTime() + 86_400_000) : null,
});
const now = at.getTime() + 1_000;

describe('the privacy list', () => {
  it('suppresses until lifted, in the order the changes were made', () => {
    const state = PrivacyListState.empty().apply(3, [
      change(1, 'suppress', ['a', 'b']),
      change(2, 'unsuppress', ['a']),
      change(3, 'suppress', ['c']),
    ]);
    expect(state.verdict(['a'], at, now)).toBeUndefined();
    expect(state.verdict(['x', 'b'], at, now)).toBe('suppressed');
    expect(state.suppressedCount).toBe(2);
    expect(state.seq).toBe(3);
  });

  it('drops events received up to the erasure, lets later ones through, and forgets it when it ends', () => {
    const state = PrivacyListState.empty().apply(1, [change(1, 'erase', ['a'])]);
    expect(state.verdict(['a'], new Date(at.getTime() - 1), now)).toBe('erased');
    expect(state.verdict(['a'], at.toISOString(), now)).toBe('erased');
    expect(state.verdict(['a'], new Date(at.getTime() + 1), now)).toBeUndefined();
    expect(state.verdict(['a'], at, at.getTime() + 2 * 86_400_000)).toBeUndefined();
  });

  it('applies a change once however often it is read', () => {
    const once = PrivacyListState.empty().apply(1, [change(1, 'suppress', ['a'])]);
    const twice = once.apply(2, [change(1, 'suppress', ['a']), change(2, 'unsuppress', ['a'])]);
    expect(twice.verdict(['a'], at, now)).toBeUndefined();
    expect(twice.apply(2, [change(1, 'suppress', ['a'])]).verdict(['a'], at, now)).toBeUndefined();
  });

  it('is read again once older than its age, only for changes after the one it holds', async () => {
    let clock = 0;
    const asked: number[] = [];
    const changes = [change(1, 'suppress', ['a'])];
    const list = new HeldPrivacyList(
      {
        changesAfter: async (seq) => {
          asked.push(seq);
          return { seq: changes.length, changes: changes.filter((c) => c.seq > seq) };
        },
      },
      { maxAgeMs: 1_000, clock: () => clock },
    );
    expect((await list.current()).verdict(['a'], at, now)).toBe('suppressed');
    changes.push(change(2, 'unsuppress', ['a']));
    clock = 999;
    expect((await list.current()).verdict(['a'], at, now)).toBe('suppressed');
    clock = 1_000;
    expect((await list.current()).verdict(['a'], at, now)).toBeUndefined();
    expect(asked).toEqual([0, 1]);
  });

  it('keeps what it holds when a read fails, and throws only when it never read', async () => {
    let clock = 0;
    let failing = true;
    const errors: unknown[] = [];
    const list = new HeldPrivacyList(
      {
        changesAfter: async () => {
          if (failing) throw new Error('firestore down');
          return { seq: 1, changes: [change(1, 'suppress', ['a'])] };
        },
      },
      { maxAgeMs: 1_000, retryMs: 100, clock: () => clock, onError: (error) => errors.push(error) },
    );
    await expect(list.current()).rejects.toThrow('firestore down');
    failing = false;
    expect((await list.current()).suppressedCount).toBe(1);
    failing = true;
    clock = 5_000;
    expect((await list.current()).suppressedCount).toBe(1);
    expect(errors).toHaveLength(1);
    clock = 5_050;
    await list.current();
    expect(errors).toHaveLength(1);
  });
});
