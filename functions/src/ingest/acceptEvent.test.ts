import { describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../lib/eventEnvelope.ts';
import type { PrivacyGate } from '../privacy/privacyGate.ts';
import { HeldPrivacyList, type PrivacyChange } from '../privacy/privacyList.ts';
import { SubjectHasher } from '../privacy/subjects.ts';
import { acceptMany, type AcceptDeps } from './acceptEvent.ts';
import type { IdempotencyRecord } from './idempotency.ts';

const hasher = new SubjectHasher(Buffer.alloc(32, 3));
const producer = { keyId: 'k', source: 'api' };

function depsWith(changes: () => Promise<PrivacyChange[]>) {
  const published: EventEnvelope[] = [];
  const claimed: IdempotencyRecord[] = [];
  const tallied: number[] = [];
  const privacy: PrivacyGate = {
    hasher,
    list: new HeldPrivacyList(
      { changesAfter: async () => ({ seq: 1, changes: await changes() }) },
      { maxAgeMs: 60_000 },
    ),
    counts: { add: async () => undefined, read: async () => new Map() },
    tally: {
      add: (_day, byType) => void tallied.push(byType.get('suppressed') ?? 0),
      flush: async () => undefined,
    },
  };
  const deps: AcceptDeps = {
    eventQueue: {
      enqueue: async (events) => {
        published.push(...events);
        return events.map(() => ({ ok: true as const, messageId: 'm' }));
      },
    },
    idempotency: {
      claim: async (_key, record) => {
        claimed.push(record);
        return { kind: 'claimed' };
      },
    },
    now: () => new Date('2026-12-07T12:00:00Z'),
    idempotencyTtlHours: 24,
    messageLimits: { maxEvents: 100, maxBytes: 1_000_000 },
    privacy,
  };
  return { deps, published, claimed, tallied };
}

const suppressing =
  (...ids: string[]) =>
  async (): Promise<PrivacyChange[]> => [
    {
      seq: 1,
      regulationId: 'r',
      op: 'suppress',
      hashes: ids.map((id) => hasher.hash(id)),
      at: new Date(0),
      until: null,
    },
  ];

describe('acceptMany and the suppression list', () => {
  it('answers a suppressed person’s event as accepted, publishes nothing of it, and counts it', async () => {
    const { deps, published, tallied } = depsWith(suppressing('gone@example.com'));
    const outcomes = await acceptMany(
      [
        { input: { eventType: 'a.b', payload: {}, userId: 'gone@example.com' } },
        { input: { eventType: 'a.b', payload: { anonymousId: 'gone@example.com' } } },
        { input: { eventType: 'a.b', payload: {}, userId: 'here@example.com' } },
      ],
      producer,
      deps,
    );
    expect(outcomes.map((o) => o.kind)).toEqual(['accepted', 'accepted', 'accepted']);
    expect(published.map((e) => e.userId)).toEqual(['here@example.com']);
    expect(tallied).toEqual([2]);
  });

  it('keeps the subjects’ keyed hashes on an idempotency record, never the id', async () => {
    const { deps, claimed } = depsWith(async () => []);
    await acceptMany(
      [
        {
          input: { eventType: 'a.b', payload: {}, userId: 'ada@example.com' },
          idempotencyKey: 'x',
        },
      ],
      producer,
      deps,
    );
    expect(claimed[0]!.subjects).toEqual([hasher.hash('ada@example.com')]);
    expect(JSON.stringify(claimed)).not.toContain('ada@example.com');
  });

  it('takes nothing while the list was never read: every event is unavailable (503)', async () => {
    const { deps, published } = depsWith(async () => {
      throw new Error('firestore down');
    });
    const outcomes = await acceptMany(
      [{ input: { eventType: 'a.b', payload: {}, userId: 'u' } }],
      producer,
      deps,
    );
    expect(outcomes).toEqual([
      { kind: 'unavailable', reason: expect.stringContaining('firestore down') },
    ]);
    expect(published).toEqual([]);
  });
});
