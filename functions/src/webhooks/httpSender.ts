import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { SendResult } from './classifyResponse.ts';
import { hostOf, resolveDestination, type Resolve, type UrlPolicy } from './urlSafety.ts';

export type WebhookRequest = {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
};

/** Sends one webhook request; never throws: every outcome is a SendResult. */
export interface WebhookSender {
  send(request: WebhookRequest): Promise<SendResult>;
}

/** The system resolver (getaddrinfo, so /etc/hosts counts), every address. */
export const systemResolve: Resolve = (hostname) => lookup(hostname, { all: true, verbatim: true });

const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 50 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 50 }),
};

/**
 * POSTs to a receiver after checking where it points: the host is resolved once, every
 * address is checked, and the connection goes to the checked address (with the
 * original Host header and TLS server name), so DNS rebinding cannot redirect it.
 * Redirects are answered as they are, never followed.
 */
export class HttpWebhookSender implements WebhookSender {
  readonly #policy: UrlPolicy;
  readonly #resolve: Resolve;
  readonly #excerptBytes: number;

  constructor(options: { policy: UrlPolicy; resolve?: Resolve; excerptBytes: number }) {
    this.#policy = options.policy;
    this.#resolve = options.resolve ?? systemResolve;
    this.#excerptBytes = options.excerptBytes;
  }

  async send(request: WebhookRequest): Promise<SendResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const destination = await resolveDestination(request.url, this.#policy, this.#resolve);
    if (!destination.ok) {
      return {
        kind: 'error',
        code: destination.reason === 'unsafe' ? 'unsafe_url' : 'network',
        message: destination.message,
        latencyMs: elapsed(),
      };
    }
    const { url, address, family } = destination;
    const secure = url.protocol === 'https:';
    const host = hostOf(url);
    const body = Buffer.from(request.body);
    return new Promise<SendResult>((resolve) => {
      let settled = false;
      const finish = (result: SendResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(result);
      };
      const outgoing = (secure ? https : http).request({
        host: address,
        family,
        port: url.port || (secure ? 443 : 80),
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        agent: agents[secure ? 'https:' : 'http:'],
        ...(secure && isIP(host) === 0 ? { servername: host } : {}),
        headers: {
          ...request.headers,
          host: url.host,
          'content-type': 'application/json',
          'content-length': String(body.length),
          'user-agent': 'Tributary-Webhooks/1.0',
        },
      });
      const timer = setTimeout(() => {
        finish({
          kind: 'error',
          code: 'timeout',
          message: `No answer within ${request.timeoutMs} ms.`,
          latencyMs: elapsed(),
        });
        outgoing.destroy();
      }, request.timeoutMs);
      outgoing.on('error', (error) => {
        finish({ kind: 'error', code: 'network', message: error.message, latencyMs: elapsed() });
      });
      outgoing.on('response', (response) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        const done = () =>
          finish({
            kind: 'response',
            statusCode: response.statusCode ?? 0,
            latencyMs: elapsed(),
            excerpt: Buffer.concat(chunks).toString('utf8').slice(0, this.#excerptBytes),
          });
        response.on('data', (chunk: Buffer) => {
          if (kept >= this.#excerptBytes) return;
          chunks.push(chunk.subarray(0, this.#excerptBytes - kept));
          kept += chunk.length;
          // Enough for the log: stop reading a large answer.
          if (kept >= this.#excerptBytes) {
            done();
            response.destroy();
          }
        });
        response.on('end', done);
        response.on('error', done);
        response.on('close', done);
      });
      outgoing.end(body);
    });
  }
}
