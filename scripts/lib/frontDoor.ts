import { Agent, createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { sleep } from './emulators.ts';

/** How long a push waits for a restarting function before it is answered 503. */
const holdWhileDownMs = 30_000;
const retryEveryMs = 200;

/**
 * What stands in front of a push-triggered function locally, as the platform's front
 * end does in the cloud: while the function's process is down or restarting, a push
 * waits for it and is then delivered (again, if the process died while handling it;
 * handlers are idempotent, as Pub/Sub's redeliveries require). The Pub/Sub emulator
 * handles refused or failed pushes poorly: it can leave such messages undelivered for a
 * long time, which the cloud never does.
 */
export async function startFrontDoor(
  publicPort: number,
  /** One process, or several instances of one function taking requests in turn. */
  upstreamPort: number | readonly number[],
  options: { holdWhileDownMs?: number; onPush?: () => void } = {},
): Promise<Server> {
  const holdMs = options.holdWhileDownMs ?? holdWhileDownMs;
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const upstreamPorts = typeof upstreamPort === 'number' ? [upstreamPort] : upstreamPort;
  let turn = 0;
  const server = createServer((req, res) => {
    options.onPush?.();
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void forward({
        method: req.method ?? 'POST',
        path: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks),
      }).then((answer) => {
        res.writeHead(answer.status, answer.headers);
        res.end(answer.body);
      });
    });
  });

  async function forward(incoming: {
    method: string;
    path: string;
    headers: IncomingHttpHeaders;
    body: Buffer;
  }) {
    const deadline = Date.now() + holdMs;
    for (;;) {
      try {
        return await send(incoming);
      } catch {
        if (Date.now() > deadline) {
          return {
            status: 503,
            headers: { 'content-type': 'application/json', 'retry-after': '1' },
            body: Buffer.from(
              '{"error":{"code":"unavailable","message":"The function is not running."}}',
            ),
          };
        }
        await sleep(retryEveryMs);
      }
    }
  }

  function send(incoming: {
    method: string;
    path: string;
    headers: IncomingHttpHeaders;
    body: Buffer;
  }) {
    return new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>(
      (resolve, reject) => {
        const upstream = request(
          {
            host: '127.0.0.1',
            port: upstreamPorts[turn++ % upstreamPorts.length],
            method: incoming.method,
            path: incoming.path,
            headers: incoming.headers,
            agent,
          },
          (answer) => {
            const parts: Buffer[] = [];
            answer.on('data', (chunk: Buffer) => parts.push(chunk));
            answer.on('end', () =>
              resolve({
                status: answer.statusCode ?? 502,
                headers: answer.headers,
                body: Buffer.concat(parts),
              }),
            );
            answer.on('error', reject);
          },
        );
        upstream.on('error', reject);
        upstream.end(incoming.body);
      },
    );
  }

  server.on('close', () => agent.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(publicPort, '127.0.0.1', () => resolve());
  });
  return server;
}
