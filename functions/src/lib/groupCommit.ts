import type { EventEnvelope } from './eventEnvelope.ts';
import { messageOfTexts, packByLimits, textBytes, type MessageLimits } from './eventMessages.ts';
import type { OutgoingMessage, PublishSettlement, Publisher } from './publisher.ts';

/**
 * Where accepted events go: onto `events`, packed into messages. Each event's settlement
 * is its message's, given once Pub/Sub acknowledged (or refused) that message.
 */
export interface EventQueue {
  /**
   * One call's events, in order, with the attributes their messages carry (a replay
   * round); events with different attributes never share a message.
   */
  enqueue(
    events: readonly EventEnvelope[],
    attributes?: Readonly<Record<string, string>>,
  ): Promise<PublishSettlement[]>;
}

export type GroupCommitOptions = {
  limits: MessageLimits;
  /** The longest an event waits for a publish in flight before its message goes anyway. */
  maxWaitMs: number;
};

/**
 * Group commit: events that arrive while a publish is in flight wait for it and then go
 * out together as the next message, bounded by the message limits and by `maxWaitMs`.
 * With nothing in flight an event is published at once, so a lone request waits for
 * nothing; under load each publish carries everything that arrived during the one
 * before, so the messages grow with the traffic and the publishes do not.
 */
export class GroupCommit implements EventQueue {
  readonly #publisher: Publisher;
  readonly #topic: string;
  readonly #options: GroupCommitOptions;
  /** One group per distinct set of message attributes (almost always the empty one). */
  readonly #groups = new Map<string, Group>();
  readonly #published = new Set<Promise<void>>();

  constructor(publisher: Publisher, topic: string, options: GroupCommitOptions) {
    this.#publisher = publisher;
    this.#topic = topic;
    this.#options = options;
  }

  enqueue(
    events: readonly EventEnvelope[],
    attributes: Readonly<Record<string, string>> = noAttributes,
  ): Promise<PublishSettlement[]> {
    if (events.length === 0) return Promise.resolve([]);
    const group = this.#group(attributes);
    const call = new Call(events.length);
    for (let index = 0; index < events.length; index += 1) {
      const text = JSON.stringify(events[index]);
      const bytes = textBytes(text);
      group.waiting.push({ text, bytes, call, index });
      group.waitingBytes += bytes;
    }
    if (group.inFlight === 0) this.#sendWaiting(group);
    else if (this.#holdsFullMessage(group)) this.#sendWaiting(group, { keepPartial: true });
    else group.timer ??= setTimeout(() => this.#sendWaiting(group), this.#options.maxWaitMs);
    return call.settled;
  }

  /** Sends whatever waits, then waits until every publish has settled (before exit). */
  async flush(): Promise<void> {
    for (const group of this.#groups.values()) this.#sendWaiting(group);
    await Promise.all(this.#published);
  }

  #group(attributes: Readonly<Record<string, string>>): Group {
    const key = attributes === noAttributes ? '' : JSON.stringify(attributes);
    let group = this.#groups.get(key);
    if (!group) {
      group = { attributes, waiting: [], waitingBytes: 0, inFlight: 0, timer: undefined };
      this.#groups.set(key, group);
    }
    return group;
  }

  #holdsFullMessage(group: Group): boolean {
    const { maxEvents, maxBytes } = this.#options.limits;
    return group.waiting.length >= maxEvents || group.waitingBytes >= maxBytes;
  }

  /**
   * Publishes the waiting events packed by the limits. `keepPartial`: a last message
   * that is not full keeps waiting for the publish in flight.
   */
  #sendWaiting(group: Group, { keepPartial = false } = {}): void {
    if (group.timer) clearTimeout(group.timer);
    group.timer = undefined;
    if (group.waiting.length === 0) return;
    const messages = packByLimits(group.waiting, (item) => item.bytes, this.#options.limits);
    const last = messages.at(-1)!;
    const keep =
      keepPartial && last.length < this.#options.limits.maxEvents ? messages.pop() : undefined;
    group.waiting = keep ?? [];
    group.waitingBytes = keep ? keep.reduce((sum, item) => sum + item.bytes, 0) : 0;
    for (const items of messages) this.#send(group, items);
    if (keep) group.timer = setTimeout(() => this.#sendWaiting(group), this.#options.maxWaitMs);
  }

  #send(group: Group, items: Waiting[]): void {
    group.inFlight += 1;
    const message = messageOfTexts(
      items.map((item) => item.text),
      group.attributes,
    );
    // Never rejects: each event hears how its message ended through its call's promise.
    const published: Promise<void> = publishOrReject(this.#publisher, this.#topic, message).then(
      (messageId) => settleAll(items, { ok: true, messageId }),
      (error: unknown) => settleAll(items, { ok: false, error }),
    );
    this.#published.add(published);
    void published.then(() => {
      this.#published.delete(published);
      group.inFlight -= 1;
      // What arrived during this publish goes next, together.
      if (group.waiting.length > 0) this.#sendWaiting(group);
    });
  }
}

const noAttributes: Readonly<Record<string, string>> = Object.freeze({});

type Group = {
  readonly attributes: Readonly<Record<string, string>>;
  waiting: Waiting[];
  waitingBytes: number;
  inFlight: number;
  timer: NodeJS.Timeout | undefined;
};

/** An event waiting for a message: its text, measured once, and the call it belongs to. */
type Waiting = { text: string; bytes: number; call: Call; index: number };

/** One caller's events: settled once the message of each of them has. */
class Call {
  readonly settled: Promise<PublishSettlement[]>;
  readonly #settlements: PublishSettlement[];
  #pending: number;
  #resolve!: (settlements: PublishSettlement[]) => void;

  constructor(events: number) {
    this.#settlements = Array.from({ length: events });
    this.#pending = events;
    this.settled = new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }

  settle(index: number, settlement: PublishSettlement): void {
    this.#settlements[index] = settlement;
    this.#pending -= 1;
    if (this.#pending === 0) this.#resolve(this.#settlements);
  }
}

function publishOrReject(
  publisher: Publisher,
  topic: string,
  message: OutgoingMessage,
): Promise<string> {
  try {
    return publisher.publish(topic, message);
  } catch (error) {
    return Promise.reject(error);
  }
}

function settleAll(items: readonly Waiting[], settlement: PublishSettlement): void {
  for (const item of items) item.call.settle(item.index, settlement);
}
