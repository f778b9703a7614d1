/**
 * Serves one function of functions/src/index.ts on 127.0.0.1, as Cloud Functions
 * would serve it: usage `node scripts/serveFunction.ts <name> <port>`.
 * (The framework's own CLI binds every interface; this binds loopback only.)
 */
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { defaults } from '../functions/src/lib/defaults.ts';

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
/**
 * Stops taking requests, lets those in flight finish (for at most the grace period),
 * then flushes the publisher and closes the clients, so nothing accepted is lost.
 */
async function shutdown(signal: string): Promise<void> {
  if (closing) return;
  closing = true;
  runtime.logger.info({ function: name, signal }, 'function stopping');
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const grace = setTimeout(() => server.closeAllConnections(), defaults.shutdownGraceMs);
  await closed;
  clearTimeout(grace);
  let code = 0;
  try {
    await runtime.close();
  } catch (error) {
    runtime.logger.error({ err: error }, 'closing the clients failed');
    code = 1;
  }
  runtime.logger.info({ function: name }, 'function stopped');
  process.exit(code);
}
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void shutdown(signal);
  });
}
