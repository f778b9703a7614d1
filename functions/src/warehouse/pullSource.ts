import { v1, type PubSub } from '@google-cloud/pubsub';
import { PipelineError, describe } from '../lib/errors.ts';

export type PulledMessage = {
  ackId: string;
  messageId: string;
  data: Buffer;
  attributes: Record<string, string>;
};

/** A pull subscription, read in batches: the loader's only view of Pub/Sub. */
export interface PullSource {
  /** Up to `maxMessages` messages; none when the subscription has nothing for us. */
  pull(maxMessages: number): Promise<PulledMessage[]>;
  acknowledge(ackIds: readonly string[]): Promise<void>;
  /** Hands messages back at once for another run, rather than after the ack deadline. */
  release(ackIds: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

type SubscriberOptions = ConstructorParameters<typeof v1.SubscriberClient>[0];

// Acknowledge and modifyAckDeadline requests are kept well under the 512 KB request limit.
const ackIdsPerRequest = 1000;
const deadlineExceeded = 4;

/**
 * Synchronous pull through the generated Pub/Sub client (the streaming subscriber
 * of `PubSub#subscription` suits long-lived listeners, not a run that must end).
 */
export class PubSubPullSource implements PullSource {
  readonly #pubsub: PubSub;
  readonly #subscription: string;
  readonly #pullTimeoutMs: number;
  #client: Promise<v1.SubscriberClient> | undefined;

  constructor(
    pubsub: PubSub,
    options: { projectId: string; subscription: string; pullTimeoutMs: number },
  ) {
    this.#pubsub = pubsub;
    this.#subscription = `projects/${options.projectId}/subscriptions/${options.subscription}`;
    this.#pullTimeoutMs = options.pullTimeoutMs;
  }

  async pull(maxMessages: number): Promise<PulledMessage[]> {
    const client = await this.#getClient();
    try {
      const [response] = await client.pull(
        { subscription: this.#subscription, maxMessages },
        { timeout: this.#pullTimeoutMs },
      );
      return (response.receivedMessages ?? []).flatMap((received) => {
        const message = received.message;
        if (!received.ackId || !message) return [];
        return [
          {
            ackId: received.ackId,
            messageId: message.messageId ?? '',
            data: Buffer.from(message.data ?? new Uint8Array()),
            attributes: { ...message.attributes },
          },
        ];
      });
    } catch (error) {
      // An empty subscription can hold a pull open until its deadline.
      if ((error as { code?: unknown }).code === deadlineExceeded) return [];
      throw new PipelineError('pull_failed', `Pull failed: ${describe(error)}`, {
        retriable: true,
        cause: error,
      });
    }
  }

  async acknowledge(ackIds: readonly string[]): Promise<void> {
    const client = await this.#getClient();
    for (const chunk of chunks(ackIds, ackIdsPerRequest)) {
      await client.acknowledge({ subscription: this.#subscription, ackIds: chunk });
    }
  }

  async release(ackIds: readonly string[]): Promise<void> {
    const client = await this.#getClient();
    for (const chunk of chunks(ackIds, ackIdsPerRequest)) {
      await client.modifyAckDeadline({
        subscription: this.#subscription,
        ackIds: chunk,
        ackDeadlineSeconds: 0,
      });
    }
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    if (client) await (await client).close();
  }

  #getClient(): Promise<v1.SubscriberClient> {
    // The PubSub object knows the endpoint and credentials (emulator or cloud).
    this.#client ??= this.#pubsub
      .getClientConfig()
      .then((config) => new v1.SubscriberClient(config as SubscriberOptions));
    return this.#client;
  }
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) {
    result.push(items.slice(start, start + size));
  }
  return result;
}
