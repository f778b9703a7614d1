import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installHelp } from '../../scripts/lib/emulators.ts';

/** What gcloud prints once it has parsed a command and needs credentials to run it. */
export const parsedSignal = 'You do not currently have an active account selected';

/** Fails with the install instructions when gcloud is missing, as the emulator setup does. */
export function requireGcloud(): void {
  const found = spawnSync('gcloud', ['--version'], { stdio: 'ignore' });
  if (found.error || found.status !== 0)
    throw new Error(`gcloud was not found on PATH.\n${installHelp}`);
}

/**
 * A local HTTP server that every address gcloud could reach is pointed at (its proxy and
 * the metadata server): it answers 404 and keeps what was asked, so a test can show
 * that no command tried to call an API.
 */
export class NetworkTrap {
  readonly requests: { method: string; url: string }[] = [];
  readonly #server: Server;

  private constructor() {
    this.#server = createServer((req, res) => {
      this.requests.push({ method: req.method ?? '', url: req.url ?? '' });
      res.writeHead(404).end();
    });
  }

  static async start(): Promise<NetworkTrap> {
    const trap = new NetworkTrap();
    await new Promise<void>((resolve) => trap.#server.listen(0, '127.0.0.1', resolve));
    return trap;
  }

  get address(): string {
    return `127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Requests other than gcloud's "am I on Compute Engine?" probe of the metadata server. */
  apiRequests(): { method: string; url: string }[] {
    return this.requests.filter((request) => !request.url.startsWith('/computeMetadata/'));
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

export type GcloudRun = { status: number | null; stderr: string };

/**
 * Runs gcloud with an empty configuration of its own: no account, no project, no
 * credentials from the environment (it gets only PATH), prompts and usage reports off,
 * the metadata server never asked for an identity, and the proxy and metadata
 * addresses pointed at `trap`. With no account, gcloud stops before any API call.
 */
export async function runOfflineGcloud(
  argv: readonly string[],
  options: { cwd: string; trap: NetworkTrap; timeoutMs?: number },
): Promise<GcloudRun> {
  const config = await mkdtemp(join(tmpdir(), 'tributary-gcloud-'));
  try {
    // gcloud's cached answer to "on Compute Engine?": no, so it need not ask.
    await writeFile(join(config, 'gce'), 'False');
    return await new Promise<GcloudRun>((resolve, reject) => {
      const child = spawn('gcloud', argv, {
        cwd: options.cwd,
        env: offlineEnvironment(config, options.trap.address),
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: options.timeoutMs ?? 60_000,
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.on('error', reject);
      child.on('close', (status) => resolve({ status, stderr }));
    });
  } finally {
    await rm(config, { recursive: true, force: true });
  }
}

function offlineEnvironment(config: string, trap: string): NodeJS.ProcessEnv {
  const proxy = `http://${trap}`;
  return {
    PATH: process.env.PATH,
    ...(process.env.CLOUDSDK_PYTHON ? { CLOUDSDK_PYTHON: process.env.CLOUDSDK_PYTHON } : {}),
    HOME: config,
    LANG: 'C.UTF-8',
    CLOUDSDK_CONFIG: config,
    CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
    CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: 'true',
    CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: 'true',
    CLOUDSDK_SURVEY_DISABLE_PROMPTS: 'true',
    CLOUDSDK_CORE_CHECK_GCE_METADATA: 'false',
    GCE_METADATA_ROOT: trap,
    GCE_METADATA_IP: trap,
    CLOUDSDK_PROXY_TYPE: 'http',
    CLOUDSDK_PROXY_ADDRESS: trap.split(':')[0],
    CLOUDSDK_PROXY_PORT: trap.split(':')[1],
    HTTP_PROXY: proxy,
    HTTPS_PROXY: proxy,
    http_proxy: proxy,
    https_proxy: proxy,
  };
}

/** Runs `task` over `items` with at most `limit` at a time, results in input order. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
