import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpWebhookSender } from './httpSender.ts';
import type { Resolve } from './urlSafety.ts';

const send = (s: HttpWebhookSender, url: string, timeoutMs = 2000) =>
  s.send({ url, headers: { 'webhook-id': 'id-1' }, body: '{"a":1}', timeoutMs });

/** A resolver whose answer mixes a public and a loopback address. */
const rebinding: Resolve = () =>
  Promise.resolve([
    { address: '93.184.216.34', family: 4 },
    { address: '127.0.0.1', family: 4 },
  ]);

/** A real receiver on 127.0.0.1; the handler per path says how it answers. */
describe('HttpWebhookSender against a local receiver', () => {
  let server: Server;
  let port: number;
  const seen: { path: string; headers: IncomingMessage['headers']; body: string }[] = [];
  const handlers: Record<string, (res: ServerResponse) => void> = {
    '/ok': (res) => res.writeHead(204).end(),
    '/big': (res) => res.writeHead(500).end('x'.repeat(100_000)),
    '/redirect': (res) => res.writeHead(302, { location: 'http://169.254.169.254/' }).end(),
    '/slow': () => undefined,
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        seen.push({ path: req.url ?? '', headers: req.headers, body });
        (handlers[req.url ?? ''] ?? ((r: ServerResponse) => r.writeHead(404).end()))(res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const local = { requireHttps: false, allowLoopback: true };
  const sender = (resolve?: Resolve, policy = local) =>
    new HttpWebhookSender({ policy, excerptBytes: 64, ...(resolve ? { resolve } : {}) });

  it('POSTs the body and headers, keeping the original Host', async () => {
    const result = await send(sender(), `http://127.0.0.1:${port}/ok`);
    expect(result).toMatchObject({ kind: 'response', statusCode: 204 });
    const request = seen.find((r) => r.path === '/ok');
    expect(request?.body).toBe('{"a":1}');
    expect(request?.headers).toMatchObject({
      'webhook-id': 'id-1',
      'content-type': 'application/json',
      host: `127.0.0.1:${port}`,
    });
  });

  it('connects to the address it checked, whatever the host name', async () => {
    let lookups = 0;
    const resolve: Resolve = () => {
      lookups += 1;
      return Promise.resolve([{ address: '127.0.0.1', family: 4 }]);
    };
    const result = await send(sender(resolve), `http://receiver.test:${port}/ok`);
    expect(result).toMatchObject({ kind: 'response', statusCode: 204 });
    expect(lookups).toBe(1);
    expect(seen.at(-1)?.headers.host).toBe(`receiver.test:${port}`);
  });

  it('keeps a short excerpt of a large answer', async () => {
    const result = await send(sender(), `http://127.0.0.1:${port}/big`);
    expect(result).toMatchObject({ kind: 'response', statusCode: 500 });
    expect(result.kind === 'response' && result.excerpt.length).toBe(64);
  });

  it('does not follow a redirect', async () => {
    const result = await send(sender(), `http://127.0.0.1:${port}/redirect`);
    expect(result).toMatchObject({ kind: 'response', statusCode: 302 });
  });

  it('gives up after the timeout', async () => {
    const result = await send(sender(), `http://127.0.0.1:${port}/slow`, 200);
    expect(result).toMatchObject({ kind: 'error', code: 'timeout' });
  });

  it('reports a refused connection as a network error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const result = await send(sender(), `http://127.0.0.1:${closedPort}/`);
    expect(result).toMatchObject({ kind: 'error', code: 'network' });
  });

  it('refuses loopback without the local-development setting, before connecting', async () => {
    const before = seen.length;
    const strict = sender(undefined, { requireHttps: false, allowLoopback: false });
    const result = await send(strict, `http://127.0.0.1:${port}/ok`);
    expect(result).toMatchObject({ kind: 'error', code: 'unsafe_url' });
    const viaDns = await send(
      sender(rebinding, { requireHttps: false, allowLoopback: false }),
      `http://receiver.test:${port}/ok`,
    );
    expect(viaDns).toMatchObject({ kind: 'error', code: 'unsafe_url' });
    expect(seen.length).toBe(before);
  });
});
