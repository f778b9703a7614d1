import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ReceivedRequest = {
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw body, as a receiver must verify it. */
  body: string;
  status: number;
};

/** Answers the nth request (1-based) to a path with a status code. */
export type Behaviour = (nth: number) => number;

/**
 * A real webhook receiver on 127.0.0.1: each path answers as its behaviour says, and
 * every request is kept for the test to inspect.
 */
export class TestReceiver {
  readonly requests: ReceivedRequest[] = [];
  readonly #server: Server;
  readonly #behaviours = new Map<string, Behaviour>();
  #port = 0;

  private constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const path = req.url ?? '/';
        const nth = this.requests.filter((r) => r.path === path).length + 1;
        const status = (this.#behaviours.get(path) ?? (() => 200))(nth);
        this.requests.push({
          path,
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          status,
        });
        res.writeHead(status, { 'content-type': 'text/plain' }).end(`answer ${status}`);
      });
    });
  }

  static async start(): Promise<TestReceiver> {
    const receiver = new TestReceiver();
    await new Promise<void>((resolve) => receiver.#server.listen(0, '127.0.0.1', resolve));
    receiver.#port = (receiver.#server.address() as AddressInfo).port;
    return receiver;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.#port}${path}`;
  }

  behave(path: string, behaviour: Behaviour): void {
    this.#behaviours.set(path, behaviour);
  }

  /** Requests to `path`, optionally only those carrying `webhook-id`. */
  received(path: string, webhookId?: string): ReceivedRequest[] {
    return this.requests.filter(
      (r) => r.path === path && (webhookId === undefined || r.headers['webhook-id'] === webhookId),
    );
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
