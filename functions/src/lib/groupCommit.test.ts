import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EventEnvelope } from './eventEnvelope.ts';
import { decodeEventMessage } from './eventMessages.ts';
import { GroupCommit } from './groupCommit.ts';
import type { OutgoingMessage, Publisher } from './publisher.ts';

/** A publisher whose publishes settle when the test says so. */
class HeldPublisher implements Publisher {
  readonly sent: {
    message: OutgoingMessage;
    resolve: (id: string) => void;
    reject: (error: Error) => void;
  }[] = [];

  publish(_topic: string, message: OutgoingMessage): Promise<string> {
    return new Promise((resolve, reject) => this.sent.push({ message, resolve, reject }));
  }

  /** The event ids of each message sent so far. */
  messages(): string[][] {
    return this.sent.map(({ message }) =>
      decodeEventMessage(message.data, message.attributes).map((item) =>
        item.ok ? item.value.eventId : 'invalid',
      ),
    );
  }

  acknowledge(index: number): void {
    this.sent[index]!.resolve(`m-${index}`);
  }
}

function envelope(payload: Record<string, unknown> = {}): EventEnvelope {
  return {
    eventId: randomUUID(),
    eventType: 'page.viewed',
    payload,
    occurredAt: '2026-01-02T03:00:00.000Z',
    receivedAt: '2026-01-02T03:04:00.000Z',
    source: 'api',
    producer: 'key_1',
  };
}

const limits = { maxEvents: 3, maxBytes: 1_000_000 };
const ids = (events: EventEnvelope[]) => events.map((event) => event.eventId);
const settledTick = () => new Promise((resolve) => setImmediate(resolve));

function setup(options: Partial<{ maxEvents: number; maxBytes: number; maxWaitMs: number }> = {}) {
  const publisher = new HeldPublisher();
  const queue = new GroupCommit(publisher, 'events', {
    limits: { ...limits, ...options },
    maxWaitMs: options.maxWaitMs ?? 60_000,
  });
  return { publisher, queue };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('GroupCommit', () => {
  it('publishes a lone event at once, as a message of one', async () => {
    const { publisher, queue } = setup();
    const event = envelope();
    const settled = queue.enqueue([event]);
    expect(publisher.messages()).toEqual([[event.eventId]]);
    expect(publisher.sent[0]!.message.attributes).toEqual({ events: '1' });
    publisher.acknowledge(0);
    expect(await settled).toEqual([{ ok: true, messageId: 'm-0' }]);
  });

  it('holds events that arrive during a publish, then sends them together as the next message', async () => {
    const { publisher, queue } = setup();
    const first = envelope();
    const later = [envelope(), envelope()];
    const firstSettled = queue.enqueue([first]);
    const laterSettled = later.map((event) => queue.enqueue([event]));
    expect(publisher.messages()).toEqual([[first.eventId]]);
    publisher.acknowledge(0);
    await firstSettled;
    await settledTick();
    expect(publisher.messages()).toEqual([[first.eventId], ids(later)]);
    publisher.acknowledge(1);
    expect(await Promise.all(laterSettled)).toEqual([
      [{ ok: true, messageId: 'm-1' }],
      [{ ok: true, messageId: 'm-1' }],
    ]);
  });

  it('answers every event of a refused message with the refusal, and only those', async () => {
    const { publisher, queue } = setup();
    const firstSettled = queue.enqueue([envelope()]);
    const waiting = [queue.enqueue([envelope()]), queue.enqueue([envelope()])];
    publisher.sent[0]!.reject(new Error('Pub/Sub is down'));
    expect(await firstSettled).toEqual([{ ok: false, error: new Error('Pub/Sub is down') }]);
    await settledTick();
    publisher.acknowledge(1);
    expect((await Promise.all(waiting)).flat()).toEqual([
      { ok: true, messageId: 'm-1' },
      { ok: true, messageId: 'm-1' },
    ]);
  });

  it('sends a full message at once, even while a publish is in flight', () => {
    const { publisher, queue } = setup();
    void queue.enqueue([envelope()]);
    const many = Array.from({ length: 4 }, () => envelope());
    void queue.enqueue(many);
    // Three make a full message; the fourth waits for the publish in flight.
    expect(publisher.messages()).toHaveLength(2);
    expect(publisher.messages()[1]).toEqual(ids(many.slice(0, 3)));
  });

  it('splits by bytes: a message never exceeds the byte limit but for one large event', async () => {
    const { publisher, queue } = setup({ maxEvents: 500, maxBytes: 600 });
    void queue.enqueue([envelope()]);
    const large = Array.from({ length: 4 }, () => envelope({ text: 'x'.repeat(200) }));
    for (const event of large) void queue.enqueue([event]);
    publisher.acknowledge(0);
    await settledTick();
    const sizes = publisher.sent.slice(1).map(({ message }) => message.data.length);
    expect(publisher.messages().slice(1).flat()).toEqual(ids(large));
    expect(sizes.every((size) => size <= 600 + 20)).toBe(true);
    expect(sizes.length).toBeGreaterThan(1);
  });

  it('sends waiting events after the longest wait when the publish in flight is slow', async () => {
    vi.useFakeTimers();
    const { publisher, queue } = setup({ maxWaitMs: 20 });
    void queue.enqueue([envelope()]);
    const waiting = envelope();
    void queue.enqueue([waiting]);
    await vi.advanceTimersByTimeAsync(19);
    expect(publisher.messages()).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(publisher.messages()).toEqual([expect.any(Array), [waiting.eventId]]);
  });

  it('never puts events of different attributes in one message', async () => {
    const { publisher, queue } = setup();
    const plain = envelope();
    const replayed = [envelope(), envelope()];
    void queue.enqueue([plain]);
    for (const event of replayed) void queue.enqueue([event], { replay: '1' });
    // The replay round has nothing in flight: its first event goes at once.
    expect(publisher.messages()).toEqual([[plain.eventId], [replayed[0]!.eventId]]);
    expect(publisher.sent[1]!.message.attributes).toEqual({ replay: '1', events: '1' });
    publisher.acknowledge(1);
    await settledTick();
    expect(publisher.messages()[2]).toEqual([replayed[1]!.eventId]);
    expect(publisher.sent[2]!.message.attributes).toEqual({ replay: '1', events: '1' });
  });

  it('answers a call once every message holding one of its events has settled, each with its own', async () => {
    const { publisher, queue } = setup();
    void queue.enqueue([envelope()]);
    const call = queue.enqueue(Array.from({ length: 4 }, () => envelope()));
    // Three went at once as a full message; the fourth waits for the first publish.
    publisher.sent[1]!.reject(new Error('refused'));
    publisher.acknowledge(0);
    await settledTick();
    publisher.acknowledge(2);
    expect(await call).toEqual([
      { ok: false, error: new Error('refused') },
      { ok: false, error: new Error('refused') },
      { ok: false, error: new Error('refused') },
      { ok: true, messageId: 'm-2' },
    ]);
  });

  it('flushes what waits and waits for every publish in flight', async () => {
    const { publisher, queue } = setup();
    void queue.enqueue([envelope()]);
    void queue.enqueue([envelope()]);
    let flushed = false;
    const flushing = queue.flush().then(() => {
      flushed = true;
    });
    expect(publisher.messages()).toHaveLength(2);
    publisher.acknowledge(0);
    await settledTick();
    expect(flushed).toBe(false);
    publisher.acknowledge(1);
    await flushing;
    expect(flushed).toBe(true);
  });

  it('answers a publisher that throws instead of rejecting as a refusal', async () => {
    const throwing: Publisher = {
      publish: () => {
        throw new Error('no topic');
      },
    };
    const queue = new GroupCommit(throwing, 'events', { limits, maxWaitMs: 10 });
    expect(await queue.enqueue([envelope()])).toEqual([
      { ok: false, error: new Error('no topic') },
    ]);
  });

  it('answers a call with no events at once', async () => {
    const { publisher, queue } = setup();
    expect(await queue.enqueue([])).toEqual([]);
    expect(publisher.sent).toHaveLength(0);
  });
});
