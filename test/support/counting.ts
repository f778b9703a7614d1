/**
 * Wraps one of our interfaces and counts calls per method, so a test can say how
 * many Firestore reads and writes or Pub/Sub publishes an event cost. `items` counts
 * what the calls carried: a call whose first argument is an array (a batched create)
 * counts its length, any other call one.
 */
export function counting<T extends object>(
  target: T,
): {
  proxy: T;
  counts: Map<string, number>;
  items: Map<string, number>;
  reset: () => void;
} {
  const counts = new Map<string, number>();
  const items = new Map<string, number>();
  const proxy = new Proxy(target, {
    get(object, property, receiver) {
      const value: unknown = Reflect.get(object, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const name = String(property);
        counts.set(name, (counts.get(name) ?? 0) + 1);
        const carried = Array.isArray(args[0]) ? args[0].length : 1;
        items.set(name, (items.get(name) ?? 0) + carried);
        return (value as (...a: unknown[]) => unknown).apply(object, args);
      };
    },
  });
  return {
    proxy,
    counts,
    items,
    reset: () => {
      counts.clear();
      items.clear();
    },
  };
}

/** Status records written through an event status store: conditional puts and batched creates. */
export function statusWrites(store: { items: Map<string, number> }): number {
  return (store.items.get('put') ?? 0) + (store.items.get('createAll') ?? 0);
}

import type { OutgoingMessage, Publisher } from '../../functions/src/lib/publisher.ts';

/** Counts publishes, and the events they carry, per topic through our Publisher interface. */
export class CountingPublisher implements Publisher {
  readonly byTopic = new Map<string, number>();
  /** Events carried: a message's `events` attribute, or one for any other message. */
  readonly eventsByTopic = new Map<string, number>();
  readonly #inner: Publisher;

  constructor(inner: Publisher) {
    this.#inner = inner;
  }

  publish(topic: string, message: OutgoingMessage): Promise<string> {
    this.byTopic.set(topic, (this.byTopic.get(topic) ?? 0) + 1);
    const events = Number(message.attributes.events ?? 1);
    this.eventsByTopic.set(topic, (this.eventsByTopic.get(topic) ?? 0) + events);
    return this.#inner.publish(topic, message);
  }

  reset(): void {
    this.byTopic.clear();
    this.eventsByTopic.clear();
  }
}
