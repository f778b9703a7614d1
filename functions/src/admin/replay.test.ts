import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../lib/groupCommit.ts';
import type { OutgoingMessage, Publisher } from '../lib/publisher.ts';
import type { EventRecord } from '../process/eventRecord.ts';
import { deadLetterRecord, failedRecord } from '../process/eventTransitions.ts';
import type {
  CreateResult,
  EventStatusStore,
  RecordVersion,
  StoredEvent,
} from '../process/eventStatusStore.ts';
import { replayEvent, type ReplayDeps } from './replay.ts';

/** A tiny store of our own interface: versions are counters. */
class MemoryStore implements EventStatusStore {
  readonly records = new Map<string, { record: EventRecord; version: number }>();
  get(eventId: string): Promise<StoredEvent | undefined> {
    const entry = this.records.get(eventId);
    return Promise.resolve(
      entry
        ? {
            record: entry.record,
            version: { updateTime: entry.version } as unknown as RecordVersion,
          }
        : undefined,
    );
  }
  put(next: EventRecord, expected: RecordVersion | undefined): Promise<'written' | 'conflict'> {
    const current = this.records.get(next.eventId);
    const expectedVersion = expected ? (expected.updateTime as unknown as number) : undefined;
    if (current?.version !== expectedVersion) return Promise.resolve('conflict');
    this.records.set(next.eventId, { record: next, version: (current?.version ?? 0) + 1 });
    return Promise.resolve('written');
  }
  async createAll(records: readonly EventRecord[]): Promise<CreateResult[]> {
    const results: CreateResult[] = [];
    for (const record of records) results.push({ kind: await this.put(record, undefined) });
    return results;
  }
}

class RecordingPublisher implements Publisher {
  readonly sent: { topic: string; message: OutgoingMessage }[] = [];
  fail = false;
  publish(topic: string, message: OutgoingMessage): Promise<string> {
    if (this.fail) return Promise.reject(new Error('Pub/Sub is down'));
    this.sent.push({ topic, message });
    return Promise.resolve(String(this.sent.length));
  }
}

const now = new Date('2026-01-02T03:04:05Z');
const envelope = {
  eventId: '6bfc3e31-f253-494d-af62-2f662f29cb3d',
  eventType: 'order.placed',
  payload: { total: 12 },
  occurredAt: '2026-01-02T03:00:00.000Z',
  receivedAt: '2026-01-02T03:00:00.000Z',
  source: 'api',
  producer: 'key_1',
};

function setup(record: EventRecord | undefined) {
  const store = new MemoryStore();
  if (record) store.records.set(record.eventId, { record, version: 1 });
  const publisher = new RecordingPublisher();
  const deps: ReplayDeps = {
    events: store,
    eventQueue: new GroupCommit(publisher, 'events', {
      limits: { maxEvents: 500, maxBytes: 4_000_000 },
      maxWaitMs: 5,
    }),
    now: () => now,
    ttlDays: 30,
    staleQueuedMs: 600_000,
  };
  return { store, publisher, deps };
}

const context = { now, ttlDays: 30 };
const dead = deadLetterRecord(
  envelope.eventId,
  failedRecord(undefined, envelope, { code: 'publish_failed', message: 'down' }, context),
  envelope,
  { error: { code: 'attempts_exhausted', message: 'gave up' }, countsAsAttempt: false },
  context,
);

describe('replayEvent', () => {
  it('queues the event, then republishes its envelope with the replay round', async () => {
    const { store, publisher, deps } = setup(dead);
    expect(await replayEvent(envelope.eventId, deps)).toEqual({
      kind: 'replayed',
      eventId: envelope.eventId,
      replay: 1,
    });
    expect(store.records.get(envelope.eventId)?.record).toMatchObject({
      status: 'QUEUED',
      replays: 1,
      attempts: 0,
    });
    expect(publisher.sent).toHaveLength(1);
    expect(publisher.sent[0]!.topic).toBe('events');
    expect(publisher.sent[0]!.message.attributes).toEqual({ events: '1', replay: '1' });
    expect(JSON.parse(publisher.sent[0]!.message.data.toString())).toEqual({
      events: [envelope],
    });
  });

  it('refuses a second replay while the first is queued', async () => {
    const { deps, publisher } = setup(dead);
    await replayEvent(envelope.eventId, deps);
    expect(await replayEvent(envelope.eventId, deps)).toMatchObject({
      kind: 'refused',
      reason: 'queued',
    });
    expect(publisher.sent).toHaveLength(1);
  });

  it('puts the status back when the republish fails', async () => {
    const { store, publisher, deps } = setup(dead);
    publisher.fail = true;
    expect(await replayEvent(envelope.eventId, deps)).toMatchObject({ kind: 'unavailable' });
    expect(store.records.get(envelope.eventId)?.record).toMatchObject({
      status: 'DEAD_LETTER',
      replays: 0,
    });
  });

  it.each([
    ['an unknown event', undefined, 'not_found'],
    ['a message that never parsed', { ...dead, envelope: '{"not":"an event"}' }, 'not_replayable'],
  ])('refuses %s', async (_, record, kind) => {
    const { deps } = setup(record);
    const outcome = await replayEvent(envelope.eventId, deps);
    expect(outcome.kind === 'refused' ? outcome.reason : outcome.kind).toBe(kind);
  });
});
