import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, sleep } from './emulators.ts';
import { startFrontDoor } from './frontDoor.ts';

type Answer = { status: number; body: string; retryAfter?: string };

/** One request on a connection of its own, as the Pub/Sub emulator pushes. */
function push(port: number, body: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { host: '127.0.0.1', port, method: 'POST', path: '/projects/p/topics/events', agent: false },
      (answer) => {
        let text = '';
        answer.setEncoding('utf8');
        answer.on('data', (chunk: string) => (text += chunk));
        answer.on('end', () =>
          resolve({
            status: answer.statusCode ?? 0,
            body: text,
            ...(answer.headers['retry-after'] ? { retryAfter: answer.headers['retry-after'] } : {}),
          }),
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => resolve(text));
  });
}

async function listen(server: Server, port: number): Promise<Server> {
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

describe('front door', () => {
  const opened: Server[] = [];
  afterEach(async () => {
    for (const server of opened.splice(0)) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  async function door(holdWhileDownMs?: number) {
    const [publicPort, upstreamPort] = [await freePort(), await freePort()];
    opened.push(await startFrontDoor(publicPort, upstreamPort, { holdWhileDownMs }));
    return { publicPort, upstreamPort };
  }

  it('relays a push and its answer unchanged', async () => {
    const { publicPort, upstreamPort } = await door();
    const received: string[] = [];
    const upstream = createServer((req, res) => {
      void readBody(req).then((body) => {
        received.push(`${req.method} ${req.url} ${body}`);
        res.writeHead(201, { 'content-type': 'text/plain' }).end(`got ${body.length} bytes`);
      });
    });
    opened.push(await listen(upstream, upstreamPort));
    const body = JSON.stringify({ message: { data: Buffer.from('é\u0000x').toString('base64') } });

    await expect(push(publicPort, body)).resolves.toEqual({
      status: 201,
      body: `got ${body.length} bytes`,
    });
    expect(received).toEqual([`POST /projects/p/topics/events ${body}`]);
  });

  it('holds a push while the function is down and delivers it once it listens', async () => {
    const { publicPort, upstreamPort } = await door();
    const answer = push(publicPort, '{"n":1}');
    await sleep(500);
    const upstream = createServer((req, res) => {
      void readBody(req).then((body) => res.writeHead(200).end(`late ${body}`));
    });
    opened.push(await listen(upstream, upstreamPort));

    await expect(answer).resolves.toEqual({ status: 200, body: 'late {"n":1}' });
  });

  it('sends a push again when the function closes the connection before answering', async () => {
    const { publicPort, upstreamPort } = await door();
    const bodies: string[] = [];
    const upstream = createServer((req, res) => {
      void readBody(req).then((body) => {
        bodies.push(body);
        // The first attempt dies mid-request, as a crashed process would.
        if (bodies.length === 1) req.socket.destroy();
        else res.writeHead(204).end();
      });
    });
    opened.push(await listen(upstream, upstreamPort));

    await expect(push(publicPort, '{"n":2}')).resolves.toEqual({ status: 204, body: '' });
    expect(bodies).toEqual(['{"n":2}', '{"n":2}']);
  });

  it('answers 503 with Retry-After when the function stays down past the hold time', async () => {
    const { publicPort } = await door(400);
    const answer = await push(publicPort, '{"n":3}');

    expect(answer.status).toBe(503);
    expect(answer.retryAfter).toBe('1');
    expect(JSON.parse(answer.body)).toEqual({
      error: { code: 'unavailable', message: 'The function is not running.' },
    });
  });

  it('answers each request of a kept-alive connection', async () => {
    const { publicPort, upstreamPort } = await door();
    const upstream = createServer((req, res) => {
      void readBody(req).then((body) => res.writeHead(200).end(body.toUpperCase()));
    });
    opened.push(await listen(upstream, upstreamPort));
    const url = `http://127.0.0.1:${publicPort}/`;

    const first = await fetch(url, { method: 'POST', body: 'one' });
    const second = await fetch(url, { method: 'POST', body: 'two' });
    expect([await first.text(), await second.text()]).toEqual(['ONE', 'TWO']);
  });
});
