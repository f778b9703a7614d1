import type { PubSub, Topic } from '@google-cloud/pubsub';
import { defaults } from './defaults.ts';
import { PublishError } from './errors.ts';

export type OutgoingMessage = { data: Buffer; attributes: Record<string, string> };

/** The one way our code publishes. Resolves only once Pub/Sub acknowledged. */
export interface Publisher {
  publish(topic: string, message: OutgoingMessage): Promise<string>;
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
      const timer = setTimeout(() => {
        reject(
          new PublishError(topicName, new Error(`no acknowledgement within ${this.#timeoutMs} ms`)),
        );
      }, this.#timeoutMs);
      try {
        this.#topic(topicName).publishMessage(message, (error, messageId) => {
          clearTimeout(timer);
          if (error) reject(new PublishError(topicName, error));
          else resolve(messageId ?? '');
        });
      } catch (error) {
        clearTimeout(timer);
        reject(new PublishError(topicName, error));
      }
    });
  }

  /** Sends whatever the batcher still holds; call before the process exits. */
  async flush(): Promise<void> {
    await Promise.all([...this.#topics.values()].map((topic) => topic.flush()));
  }

  #topic(name: string): Topic {
    let topic = this.#topics.get(name);
    if (!topic) {
      topic = this.#pubsub.topic(name, {
        batching: {
          maxMessages: defaults.publishBatchMaxMessages,
          maxMilliseconds: this.#batchWindowMs,
        },
        // The client's own retries stop at our deadline, so a dead emulator or an
        // outage becomes a 503 instead of a hanging request.
        gaxOpts: { timeout: this.#timeoutMs },
      });
      this.#topics.set(name, topic);
    }
    return topic;
  }
}
