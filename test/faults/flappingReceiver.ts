import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * How the receiver behaves for now: `ok` answers 200, `error` a 5xx, `timeout` holds the
 * request past the sender's timeout and then answers 200 anyway (the receiver took it,
 * the sender never heard), `refused` closes the port so connections are refused.
 */
export type ReceiverMode = 'ok' | 'error' | 'timeout' | 'refused';

/** What the receiver did with one request. */
export type Receipt = { mode: Exclude<ReceiverMode, 'refused'>; status: number; answered: boolean };

const errorStatuses = [500, 502, 503, 504];

/** A webhook receiver on 127.0.0.1 whose behaviour the test switches while deliveries flow. */
export class FlappingReceiver {
  /** What the receiver did, by `webhook-id`. */
  readonly receipts = new Map<string, Receipt[]>();
  readonly #holdMs: number;
  #server: Server | undefined;
  #port = 0;
  #mode: ReceiverMode = 'ok';
  #errors = 0;

  private constructor(holdMs: number) {
    this.#holdMs = holdMs;
  }

  /** `holdMs`: how long a request is held in `timeout` mode; longer than the sender waits. */
  static async start(holdMs: number): Promise<FlappingReceiver> {
    const receiver = new FlappingReceiver(holdMs);
    await receiver.#listen();
    return receiver;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.#port}${path}`;
  }

  get mode(): ReceiverMode {
    return this.#mode;
  }

  async setMode(mode: ReceiverMode): Promise<void> {
    if (mode === this.#mode) return;
    this.#mode = mode;
    if (mode === 'refused') await this.#close();
    else if (!this.#server) await this.#listen();
  }

  /** Receipts the receiver answered 200 in time: what the sender saw as a success. */
  accepted(webhookId: string): number {
    return (this.receipts.get(webhookId) ?? []).filter((r) => r.mode === 'ok' && r.answered).length;
  }

  async close(): Promise<void> {
    await this.#close();
  }

  #handle(server: Server): void {
    server.on('request', (req, res) => {
      req.resume();
      req.on('end', () => {
        const id = String(req.headers['webhook-id'] ?? '');
        const mode = this.#mode === 'refused' ? 'error' : this.#mode;
        const status =
          mode === 'error' ? errorStatuses[this.#errors++ % errorStatuses.length]! : 200;
        const receipt: Receipt = { mode, status, answered: false };
        this.receipts.set(id, [...(this.receipts.get(id) ?? []), receipt]);
        const answer = () => {
          if (res.destroyed || res.writableEnded) return;
          res.writeHead(status, { 'content-type': 'text/plain' }).end(`answer ${status}`);
          receipt.answered = true;
        };
        if (mode === 'timeout') setTimeout(answer, this.#holdMs).unref();
        else answer();
      });
    });
  }

  async #listen(): Promise<void> {
    const server = createServer();
    this.#handle(server);
    // The same port each time, so the registered URL keeps pointing here.
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  async #close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
