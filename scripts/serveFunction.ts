/**
 * Serves one function of functions/src/index.ts on 127.0.0.1, as Cloud Functions
 * would serve it: usage `node scripts/serveFunction.ts <name> <port>`.
 * (The framework's own CLI binds every interface; this binds loopback only.)
 */
import { getTestServer } from '@google-cloud/functions-framework/testing';

const [name, portText] = process.argv.slice(2);
if (!name || !portText) {
  console.error('usage: node scripts/serveFunction.ts <function> <port>');
  process.exit(2);
}

const { runtime } = await import('../functions/src/index.ts');
const server = getTestServer(name);
server.listen(Number(portText), '127.0.0.1', () => {
  runtime.logger.info({ function: name, port: Number(portText) }, 'function serving');
});

let closing = false;
async function shutdown(): Promise<void> {
  if (closing) return;
  closing = true;
  // Finish requests in flight, then flush the publisher and close the clients.
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await runtime.close();
  process.exit(0);
}
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void shutdown();
  });
}
