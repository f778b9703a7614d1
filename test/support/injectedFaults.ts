import { PipelineError } from '../../functions/src/lib/errors.ts';
import { decodeEventMessage } from '../../functions/src/lib/eventMessages.ts';
import type { OutgoingMessage, Publisher } from '../../functions/src/lib/publisher.ts';
import type { EventRecord } from '../../functions/src/process/eventRecord.ts';
import type {
  CreateResult,
  EventStatusStore,
  RecordVersion,
  StoredEvent,
} from '../../functions/src/process/eventStatusStore.ts';
import { sleep } from '../../scripts/lib/emulators.ts';

/**
 * What an injected fault does to one call:
 * - `pass`: nothing (to reach a later call of the same operation);
 * - `refuse`: the call fails and nothing reaches the emulator;
 * - `crashAfter`: the call reaches the emulator, then the handler dies before it hears
 *   back (after `delayMs`), so the delivery is never acknowledged.
 */
export type Fault =
  { kind: 'pass' } | { kind: 'refuse' } | { kind: 'crashAfter'; delayMs?: number };

/** A crash as Pub/Sub sees it: the push is not acknowledged and comes again. */
export function injectedCrash(where: string): PipelineError {
  return new PipelineError('injected_crash', `injected crash: ${where}`, { retriable: true });
}

/** Faults queued per event id and operation, each used once, in order. */
class FaultPlan {
  readonly #queued = new Map<string, Fault[]>();

  add(eventId: string, operation: string, ...faults: Fault[]): void {
    const key = `${eventId}/${operation}`;
    this.#queued.set(key, [...(this.#queued.get(key) ?? []), ...faults]);
  }

  take(eventId: string | undefined, operation: string): Fault | undefined {
    if (!eventId) return undefined;
    return this.#queued.get(`${eventId}/${operation}`)?.shift();
  }
}

async function withFault<T>(
  fault: Fault | undefined,
  where: string,
  call: () => Promise<T>,
): Promise<T> {
  if (fault?.kind === 'refuse') throw injectedCrash(`${where} refused`);
  const result = await call();
  if (fault?.kind === 'crashAfter') {
    await sleep(fault.delayMs ?? 0);
    throw injectedCrash(`after ${where}`);
  }
  return result;
}

/** The ids of the events a message carries. */
function eventIdsOf(message: OutgoingMessage): string[] {
  return decodeEventMessage(message.data, message.attributes).flatMap((item) =>
    item.ok ? [item.value.eventId] : item.eventId ? [item.eventId] : [],
  );
}

/** Our Publisher, with faults per event id and topic; counts what the emulator acknowledged. */
export class FaultyPublisher implements Publisher {
  readonly plan = new FaultPlan();
  readonly #inner: Publisher;
  readonly #acknowledged = new Map<string, number>();

  constructor(inner: Publisher) {
    this.#inner = inner;
  }

  /**
   * A message of many events meets the first fault planned for any of its events, and
   * counts as acknowledged for each of them.
   */
  async publish(topic: string, message: OutgoingMessage): Promise<string> {
    const eventIds = eventIdsOf(message);
    let fault: Fault | undefined;
    for (const eventId of eventIds) {
      fault = this.plan.take(eventId, topic);
      if (fault) break;
    }
    const id = await withFault(fault, `publish to ${topic}`, () =>
      this.#inner.publish(topic, message),
    );
    for (const eventId of eventIds) {
      const key = `${topic}/${eventId}`;
      this.#acknowledged.set(key, (this.#acknowledged.get(key) ?? 0) + 1);
    }
    return id;
  }

  /** Publishes of an event to a topic that Pub/Sub acknowledged (a crash after one counts). */
  acknowledged(topic: string, eventId: string): number {
    return this.#acknowledged.get(`${topic}/${eventId}`) ?? 0;
  }
}

/** Our EventStatusStore, with faults per event id on `get` and `put`; counts the calls. */
export class FaultyEventStatusStore implements EventStatusStore {
  readonly plan = new FaultPlan();
  readonly #inner: EventStatusStore;
  readonly #calls = new Map<string, number>();

  constructor(inner: EventStatusStore) {
    this.#inner = inner;
  }

  get(eventId: string): Promise<StoredEvent | undefined> {
    this.#count(eventId, 'get');
    return withFault(this.plan.take(eventId, 'get'), 'get', () => this.#inner.get(eventId));
  }

  put(next: EventRecord, expected: RecordVersion | undefined): Promise<'written' | 'conflict'> {
    this.#count(next.eventId, 'put');
    return withFault(this.plan.take(next.eventId, 'put'), 'put', () =>
      this.#inner.put(next, expected),
    );
  }

  /**
   * The batched create: each record meets its own `put` faults. A refused record is
   * not sent and comes back as an error; a crash after any of them comes after the
   * whole call reached the emulator.
   */
  async createAll(records: readonly EventRecord[]): Promise<CreateResult[]> {
    const faults = records.map((record) => {
      this.#count(record.eventId, 'put');
      return this.plan.take(record.eventId, 'put');
    });
    const sent = records.filter((_, index) => faults[index]?.kind !== 'refuse');
    const results = await this.#inner.createAll(sent);
    const crash = faults.find((fault) => fault?.kind === 'crashAfter');
    if (crash?.kind === 'crashAfter') {
      await sleep(crash.delayMs ?? 0);
      throw injectedCrash('after createAll');
    }
    let position = 0;
    return faults.map((fault) =>
      fault?.kind === 'refuse'
        ? { kind: 'error', error: injectedCrash('create refused') }
        : results[position++]!,
    );
  }

  calls(eventId: string, operation: 'get' | 'put'): number {
    return this.#calls.get(`${eventId}/${operation}`) ?? 0;
  }

  #count(eventId: string, operation: string): void {
    const key = `${eventId}/${operation}`;
    this.#calls.set(key, (this.#calls.get(key) ?? 0) + 1);
  }
}

/** Our publisher, with a switch that makes Pub/Sub look unreachable. */
export class SwitchablePublisher implements Publisher {
  failing = false;
  /** Publishes attempted per topic, failed ones included. */
  readonly attempts = new Map<string, number>();
  readonly #inner: Publisher;
  constructor(inner: Publisher) {
    this.#inner = inner;
  }
  publish(...args: Parameters<Publisher['publish']>): ReturnType<Publisher['publish']> {
    const [topic] = args;
    this.attempts.set(topic, (this.attempts.get(topic) ?? 0) + 1);
    if (this.failing) return Promise.reject(new Error('14 UNAVAILABLE: connection refused'));
    return this.#inner.publish(...args);
  }
}
