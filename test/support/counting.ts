/**
 * Wraps one of our interfaces and counts calls per method, so a test can say how
 * many Firestore reads and writes or Pub/Sub publishes an event cost.
 */
export function counting<T extends object>(
  target: T,
): { proxy: T; counts: Map<string, number>; reset: () => void } {
  const counts = new Map<string, number>();
  const proxy = new Proxy(target, {
    get(object, property, receiver) {
      const value: unknown = Reflect.get(object, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        counts.set(String(property), (counts.get(String(property)) ?? 0) + 1);
        return (value as (...a: unknown[]) => unknown).apply(object, args);
      };
    },
  });
  return { proxy, counts, reset: () => counts.clear() };
}

import type { OutgoingMessage, Publisher } from '../../functions/src/lib/publisher.ts';

/** Counts publishes per topic through our Publisher interface. */
export class CountingPublisher implements Publisher {
  readonly byTopic = new Map<string, number>();
  readonly #inner: Publisher;

  constructor(inner: Publisher) {
    this.#inner = inner;
  }

  publish(topic: string, message: OutgoingMessage): Promise<string> {
    this.byTopic.set(topic, (this.byTopic.get(topic) ?? 0) + 1);
    return this.#inner.publish(topic, message);
  }
}
