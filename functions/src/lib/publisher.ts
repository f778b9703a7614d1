import type { PubSub, Topic } from '@google-cloud/pubsub';
import { defaults } from './defaults.ts';
import { PublishError } from './errors.ts';

export type OutgoingMessage = { data: Buffer; attributes: Record<string, string> };

/** How one message of a `publishAll` ended. */
export type PublishSettlement = { ok: true; messageId: string } | { ok: false; error: unknown };

/** The one way our code publishes. Resolves only once Pub/Sub acknowledged. */
export interface Publisher {
  publish(topic: string, message: OutgoingMessage): Promise<string>;
  /** Many messages to one topic, each settling on its own, with one promise for all. */
  publishAll?(topic: string, messages: OutgoingMessage[]): Promise<PublishSettlement[]>;
}

/** Publishes many messages to one topic; never rejects: each message says how it ended. */
export function publishAll(
  publisher: Publisher,
  topic: string,
  messages: OutgoingMessage[],
): Promise<PublishSettlement[]> {
  if (publisher.publishAll) return publisher.publishAll(topic, messages);
  return Promise.all(
    messages.map((message) =>
      publisher.publish(topic, message).then(
        (messageId): PublishSettlement => ({ ok: true, messageId }),
        (error: unknown): PublishSettlement => ({ ok: false, error }),
      ),
    ),
  );
}

export class PubSubPublisher implements Publisher {
  readonly #pubsub: PubSub;
  readonly #timeoutMs: number;
  readonly #topics = new Map<string, Topic>();

  readonly #batchWindowMs: number;

  /**
   * `batchWindowMs`: how long a message may wait for others to share its publish call.
   * Worth it where many requests publish at once (ingest); pure latency where a few
   * deliveries at a time each wait for their publish (subscribers).
   */
  constructor(pubsub: PubSub, options: { timeoutMs: number; batchWindowMs: number }) {
    this.#pubsub = pubsub;
    this.#timeoutMs = options.timeoutMs;
    this.#batchWindowMs = options.batchWindowMs;
  }

  /**
   * One promise per message, settled by the client's callback or by our deadline:
   * this is the hot path of ingest, where every extra promise costs (the functions
   * framework tracks each one through a domain).
   */
  publish(topicName: string, message: OutgoingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(this.#noAcknowledgement(topicName)), this.#timeoutMs);
      this.#send(topicName, message, (settlement) => {
        clearTimeout(timer);
        if (settlement.ok) resolve(settlement.messageId);
        else reject(settlement.error);
      });
    });
  }

  /**
   * A batch request's events: the client batches them as it would separate calls, and
   * the caller waits on one promise instead of one per message.
   */
  publishAll(topicName: string, messages: OutgoingMessage[]): Promise<PublishSettlement[]> {
    if (messages.length === 0) return Promise.resolve([]);
    return new Promise((resolve) => {
      const settlements: (PublishSettlement | undefined)[] = Array.from({
        length: messages.length,
      });
      let pending = messages.length;
      const settle = (index: number, settlement: PublishSettlement) => {
        if (settlements[index]) return;
        settlements[index] = settlement;
        pending -= 1;
        if (pending > 0) return;
        clearTimeout(timer);
        resolve(settlements as PublishSettlement[]);
      };
      const timer = setTimeout(() => {
        const error = this.#noAcknowledgement(topicName);
        for (let index = 0; index < messages.length; index += 1)
          settle(index, { ok: false, error });
      }, this.#timeoutMs);
      messages.forEach((message, index) =>
        this.#send(topicName, message, (settlement) => settle(index, settlement)),
      );
    });
  }

  /** Sends whatever the batcher still holds; call before the process exits. */
  async flush(): Promise<void> {
    await Promise.all([...this.#topics.values()].map((topic) => topic.flush()));
  }

  /** Hands one message to the client's batcher; `settle` hears how it ended. */
  #send(
    topicName: string,
    message: OutgoingMessage,
    settle: (settlement: PublishSettlement) => void,
  ): void {
    try {
      this.#topic(topicName).publishMessage(message, (error, messageId) =>
        settle(
          error
            ? { ok: false, error: new PublishError(topicName, error) }
            : { ok: true, messageId: messageId ?? '' },
        ),
      );
    } catch (error) {
      settle({ ok: false, error: new PublishError(topicName, error) });
    }
  }

  #noAcknowledgement(topicName: string): PublishError {
    return new PublishError(
      topicName,
      new Error(`no acknowledgement within ${this.#timeoutMs} ms`),
    );
  }

  #topic(name: string): Topic {
    let topic = this.#topics.get(name);
    if (!topic) {
      topic = this.#pubsub.topic(name, {
        // No window: a batch of one is full, so the client sends it without a timer.
        batching:
          this.#batchWindowMs > 0
            ? {
                maxMessages: defaults.publishBatchMaxMessages,
                maxMilliseconds: this.#batchWindowMs,
              }
            : { maxMessages: 1 },
        // The client's own retries stop at our deadline, so a dead emulator or an
        // outage becomes a 503 instead of a hanging request.
        gaxOpts: { timeout: this.#timeoutMs },
      });
      this.#topics.set(name, topic);
    }
    return topic;
  }
}
