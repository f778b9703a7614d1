/**
 * How fast the Pub/Sub emulator pushes to an endpoint that answers at once, and how many
 * pushes it keeps in flight: the ceiling of any push-triggered function on this machine.
 */
import { createServer } from 'node:http';
import type { PubSub } from '@google-cloud/pubsub';
import { freePort } from '../lib/emulators.ts';
import type { BenchResult } from './results.ts';
import { log, pushCeilingMessages } from './settings.ts';
import { round } from './stats.ts';

export async function measurePushCeiling(
  pubsub: PubSub,
  projectId: string,
): Promise<BenchResult['pushCeiling']> {
  log('The emulator pushing to a bare endpoint: the ceiling of local delivery…');
  let inFlight = 0;
  let maxInFlight = 0;
  let delivered = 0;
  let allDelivered!: () => void;
  const done = new Promise<void>((resolve) => (allDelivered = resolve));
  const server = createServer((req, res) => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    req.resume();
    req.on('end', () => {
      inFlight -= 1;
      res.writeHead(204).end();
      delivered += 1;
      if (delivered === pushCeilingMessages) allDelivered();
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const name = 'bench-push-ceiling';
  const [topic] = await pubsub.createTopic(name);
  const [subscription] = await topic.createSubscription(name, {
    pushConfig: { pushEndpoint: `http://127.0.0.1:${port}/projects/${projectId}/topics/${name}` },
    ackDeadlineSeconds: 60,
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const started = performance.now();
    await Promise.all(
      Array.from({ length: pushCeilingMessages }, (_, i) =>
        topic.publishMessage({ data: Buffer.from(`{"n":${i}}`) }),
      ),
    );
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`only ${delivered} of ${pushCeilingMessages} pushes in 120 s`)),
        120_000,
      );
    });
    await Promise.race([done, timedOut]);
    const seconds = (performance.now() - started) / 1000;
    return {
      messagesPerSecond: round(pushCeilingMessages / seconds, 0),
      maxConcurrentPushes: maxInFlight,
    };
  } finally {
    clearTimeout(timer);
    await subscription.delete();
    await topic.delete();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
