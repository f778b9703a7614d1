/**
 * The floors, served exactly as the local stack serves our functions:
 * `node scripts/bench/floorFunction.ts <port> [bare|publish]`.
 * - bare: a functions-framework HTTP function answering 202 and nothing else;
 * - publish: the same, after publishing the body to `events` as a message of its own
 *   through our publisher, the client batching concurrent requests' messages within
 *   `floorPublishBatchMs` (Pub/Sub settings from the environment), and nothing else: no
 *   key, no validation, no envelope.
 */
import * as functions from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { topics } from '../../infra/spec.ts';
import { createPubSub } from '../../functions/src/lib/clients.ts';
import { loadConfig } from '../../functions/src/lib/config.ts';
import { PubSubPublisher } from '../../functions/src/lib/publisher.ts';
import { defaults } from '../../functions/src/lib/defaults.ts';
import { floorPublishBatchMs } from './settings.ts';

const [portText, mode = 'bare'] = process.argv.slice(2);

if (mode === 'publish') {
  const publisher = new PubSubPublisher(createPubSub(loadConfig()), {
    timeoutMs: defaults.publishTimeoutMs,
    batchWindowMs: floorPublishBatchMs,
  });
  functions.http('floor', async (req, res) => {
    await publisher.publish(topics.events.name, {
      data: req.rawBody ?? Buffer.from('{}'),
      attributes: {},
    });
    res.status(202).json({ ok: true });
  });
} else {
  functions.http('floor', (_req, res) => {
    res.status(202).json({ ok: true });
  });
}

const port = Number(portText);
getTestServer('floor').listen(port, '127.0.0.1', () => {
  process.stdout.write(`floor (${mode}) listening on ${port}\n`);
});
process.once('SIGTERM', () => process.exit(0));
