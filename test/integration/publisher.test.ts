import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PubSub } from '@google-cloud/pubsub';
import { createPubSub } from '../../functions/src/lib/clients.ts';
import { loadConfig } from '../../functions/src/lib/config.ts';
import { PublishError } from '../../functions/src/lib/errors.ts';
import {
  publishAll,
  PubSubPublisher,
  type OutgoingMessage,
  type Publisher,
} from '../../functions/src/lib/publisher.ts';
import { freePort } from '../../scripts/lib/emulators.ts';
import { emulatorPubSub, uniqueProjectId } from '../support/pipeline.ts';

const messages = (n: number): OutgoingMessage[] =>
  Array.from({ length: n }, (_, i) => ({
    data: Buffer.from(JSON.stringify({ n: i })),
    attributes: { n: String(i) },
  }));

/** Our publisher against the emulator: what ingest relies on to answer 202 or 503. */
describe('PubSubPublisher', () => {
  const project = uniqueProjectId('publisher');
  let pubsub: PubSub;

  beforeAll(() => {
    pubsub = emulatorPubSub(project);
  });
  afterAll(async () => {
    await pubsub.close();
  });

  it('publishAll settles every message, and each one arrives', async () => {
    const [topic] = await pubsub.createTopic('publish-all');
    const [subscription] = await topic.createSubscription('publish-all-pull');
    const publisher = new PubSubPublisher(pubsub, { timeoutMs: 10_000, batchWindowMs: 5 });

    const settlements = await publisher.publishAll('publish-all', messages(1200));

    expect(settlements).toHaveLength(1200);
    expect(settlements.every((s) => s.ok && s.messageId.length > 0)).toBe(true);
    const received = new Set<string>();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${received.size} of 1200 arrived`)),
        30_000,
      );
      subscription.on('message', (message: { attributes: Record<string, string>; ack(): void }) => {
        received.add(message.attributes.n!);
        message.ack();
        if (received.size === 1200) {
          clearTimeout(timer);
          resolve();
        }
      });
      subscription.on('error', reject);
    });
    await subscription.close();
    expect(received.size).toBe(1200);
  });

  it('a message Pub/Sub refuses is a failed settlement; the call itself never rejects', async () => {
    const publisher = new PubSubPublisher(pubsub, { timeoutMs: 10_000, batchWindowMs: 5 });
    const settlements = await publisher.publishAll('no-such-topic', messages(3));
    expect(settlements).toEqual(
      Array.from({ length: 3 }, () => ({ ok: false, error: expect.any(PublishError) })),
    );
  });

  it('an unreachable Pub/Sub fails every message by the deadline instead of hanging', async () => {
    const unreachable = createPubSub(
      loadConfig({
        GOOGLE_CLOUD_PROJECT: project,
        PUBSUB_EMULATOR_HOST: `127.0.0.1:${await freePort()}`,
      }),
    );
    try {
      const publisher = new PubSubPublisher(unreachable, { timeoutMs: 1_000, batchWindowMs: 5 });
      const [single, all] = await Promise.all([
        publisher.publish('events', messages(1)[0]!).then(
          () => 'published',
          (error: unknown) => error,
        ),
        publisher.publishAll('events', messages(5)),
      ]);
      expect(single).toBeInstanceOf(PublishError);
      expect(all.map((s) => s.ok)).toEqual([false, false, false, false, false]);
    } finally {
      await unreachable.close();
    }
  });

  it('publishAll falls back to one publish per message for a publisher without it', async () => {
    const sent: string[] = [];
    const plain: Publisher = {
      publish: (_topic, message) => {
        const n = message.attributes.n!;
        if (n === '1') return Promise.reject(new Error('refused'));
        sent.push(n);
        return Promise.resolve(`id-${n}`);
      },
    };
    const settlements = await publishAll(plain, 'events', messages(3));
    expect(settlements.map((s) => (s.ok ? s.messageId : 'failed'))).toEqual([
      'id-0',
      'failed',
      'id-2',
    ]);
    expect(sent).toEqual(['0', '2']);
  });
});
