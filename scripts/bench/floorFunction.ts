/**
 * The floor: a bare functions-framework HTTP function answering 202, served exactly as
 * the local stack serves ours. `node scripts/bench/floorFunction.ts <port>`
 */
import * as functions from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';

functions.http('floor', (_req, res) => {
  res.status(202).json({ ok: true });
});
const port = Number(process.argv[2]);
getTestServer('floor').listen(port, '127.0.0.1', () => {
  process.stdout.write(`floor listening on ${port}\n`);
});
process.once('SIGTERM', () => process.exit(0));
