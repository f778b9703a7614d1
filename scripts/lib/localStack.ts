import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { applyPubSubSpec } from '../../infra/applyPubSub.ts';
import { functions, topics, type FunctionName } from '../../infra/spec.ts';
import { createApiKey, FirestoreApiKeyStore } from '../../functions/src/ingest/apiKeys.ts';
import { createFirestore, createPubSub } from '../../functions/src/lib/clients.ts';
import { loadConfig } from '../../functions/src/lib/config.ts';
import { defaults } from '../../functions/src/lib/defaults.ts';
import {
  checkEmulatorPrerequisites,
  freePort,
  reuseEmulator,
  sleep,
  startEmulator,
  type RunningEmulator,
} from './emulators.ts';

export const projectRoot = resolve(import.meta.dirname, '..', '..');

/** What a running stack publishes in `.tributary/local.json` for scripts and tools. */
export type LocalStackInfo = {
  projectId: string;
  ingestUrl: string;
  apiUrl: string;
  apiKey: string;
  adminToken: string;
  pubsubEmulatorHost: string;
  firestoreEmulatorHost: string;
  functionUrls: Record<FunctionName, string>;
};

type Ports = { pubsub: number; firestore: number; functions: number };

export type StackOptions = {
  projectId?: string;
  stateDir?: string;
  /** Emulators already running (reused, not stopped); otherwise started on the configured ports. */
  pubsubEmulatorHost?: string;
  firestoreEmulatorHost?: string;
  /** 0: every function on a free port. */
  functionsBasePort?: number;
  retryProfile?: 'local' | 'test';
  logLevel?: string;
  log?: (line: string) => void;
};

export async function readFirebasePorts(): Promise<Ports> {
  const firebase = JSON.parse(await readFile(join(projectRoot, 'firebase.json'), 'utf8')) as {
    emulators: Record<'pubsub' | 'firestore' | 'functions', { port: number }>;
  };
  return {
    pubsub: firebase.emulators.pubsub.port,
    firestore: firebase.emulators.firestore.port,
    functions: firebase.emulators.functions.port,
  };
}

/**
 * The whole pipeline on this machine: emulators, every function in its own process on
 * 127.0.0.1, the spec applied with push endpoints at those processes, a local API key.
 */
export class LocalStack {
  readonly info: LocalStackInfo;
  readonly #emulators: RunningEmulator[];
  readonly #processes = new Map<FunctionName, ChildProcess>();
  readonly #env: NodeJS.ProcessEnv;
  readonly #ports: Record<FunctionName, number>;
  readonly #stateFile: string;
  readonly #log: (line: string) => void;
  #stopping = false;

  private constructor(args: {
    info: LocalStackInfo;
    emulators: RunningEmulator[];
    env: NodeJS.ProcessEnv;
    ports: Record<FunctionName, number>;
    stateFile: string;
    log: (line: string) => void;
  }) {
    this.info = args.info;
    this.#emulators = args.emulators;
    this.#env = args.env;
    this.#ports = args.ports;
    this.#stateFile = args.stateFile;
    this.#log = args.log;
  }

  static async start(options: StackOptions = {}): Promise<LocalStack> {
    const log = options.log ?? ((line: string) => process.stdout.write(line));
    const configured = await readFirebasePorts();
    const projectId = options.projectId ?? 'tributary-local';
    const stateDir = options.stateDir ?? join(projectRoot, '.tributary');
    await mkdir(stateDir, { recursive: true });

    const emulators: RunningEmulator[] = [];
    const stopEmulators = () => Promise.all(emulators.map((emulator) => emulator.stop()));
    try {
      if (!options.pubsubEmulatorHost || !options.firestoreEmulatorHost)
        checkEmulatorPrerequisites();
      const [pubsub, firestore] = await Promise.all([
        options.pubsubEmulatorHost
          ? reuseEmulator('pubsub', options.pubsubEmulatorHost)
          : startEmulator('pubsub', configured.pubsub),
        options.firestoreEmulatorHost
          ? reuseEmulator('firestore', options.firestoreEmulatorHost)
          : startEmulator('firestore', configured.firestore),
      ]);
      emulators.push(pubsub, firestore);

      const secrets = await localSecrets(stateDir);
      const base = options.functionsBasePort ?? configured.functions;
      const ports = {} as Record<FunctionName, number>;
      for (const [index, fn] of functions.entries())
        ports[fn.name] = base === 0 ? await freePort() : base + index;

      const env: NodeJS.ProcessEnv = {
        ...process.env,
        GOOGLE_CLOUD_PROJECT: projectId,
        PUBSUB_EMULATOR_HOST: pubsub.host,
        FIRESTORE_EMULATOR_HOST: firestore.host,
        TRIBUTARY_ENV: 'local',
        ADMIN_TOKEN: secrets.adminToken,
        LOG_LEVEL: options.logLevel ?? process.env.LOG_LEVEL ?? 'info',
        METADATA_SERVER_DETECTION: 'none',
      };
      const functionUrls = Object.fromEntries(
        functions.map((fn) => [fn.name, `http://127.0.0.1:${ports[fn.name]}`]),
      ) as Record<FunctionName, string>;
      const info: LocalStackInfo = {
        projectId,
        ingestUrl: functionUrls.ingest,
        apiUrl: functionUrls.api,
        apiKey: secrets.apiKey,
        adminToken: secrets.adminToken,
        pubsubEmulatorHost: pubsub.host,
        firestoreEmulatorHost: firestore.host,
        functionUrls,
      };
      const stack = new LocalStack({
        info,
        emulators,
        env,
        ports,
        stateFile: join(stateDir, 'local.json'),
        log,
      });
      try {
        await Promise.all(functions.map((fn) => stack.#spawnFunction(fn.name)));
        await Promise.all(functions.map((fn) => waitForHttp(functionUrls[fn.name], 30_000)));
        await stack.#provision(options.retryProfile ?? 'local');
        await writeFile(stack.#stateFile, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
      } catch (error) {
        await stack.stop();
        throw error;
      }
      return stack;
    } catch (error) {
      await stopEmulators();
      throw error;
    }
  }

  async #provision(profile: 'local' | 'test'): Promise<void> {
    const config = loadConfig(this.#env);
    const pubsub = createPubSub(config);
    const firestore = createFirestore(config);
    try {
      await applyPubSubSpec(pubsub, {
        profile,
        pushEndpoint: (fn, subscription) =>
          `http://127.0.0.1:${this.#ports[fn]}/projects/${config.projectId}/topics/${subscription.topic}`,
      });
      await createApiKey(new FirestoreApiKeyStore(firestore), {
        name: 'local',
        key: this.info.apiKey,
      });
    } finally {
      await Promise.all([pubsub.close(), firestore.terminate()]);
    }
  }

  #spawnFunction(name: FunctionName): Promise<void> {
    const child = spawn(
      process.execPath,
      [join(projectRoot, 'scripts', 'serveFunction.ts'), name, String(this.#ports[name])],
      { cwd: projectRoot, env: this.#env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.#processes.set(name, child);
    const prefix = `[${name}] `;
    const forward = (chunk: Buffer) =>
      this.#log(
        chunk
          .toString()
          .split('\n')
          .filter((line) => line.length > 0)
          .map((line) => `${prefix}${line}\n`)
          .join(''),
      );
    child.stdout?.on('data', forward);
    child.stderr?.on('data', forward);
    child.once('exit', (code, signal) => {
      if (this.#stopping || this.#processes.get(name) !== child) return;
      // Like the platform, bring a crashed function back.
      this.#log(`${prefix}exited (${signal ?? code}); restarting\n`);
      setTimeout(() => {
        if (!this.#stopping) void this.#spawnFunction(name);
      }, 500);
    });
    return Promise.resolve();
  }

  /** The process serving a function, for fault tests that kill it. */
  functionProcess(name: FunctionName): ChildProcess | undefined {
    return this.#processes.get(name);
  }

  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    await Promise.all(
      [...this.#processes.values()].map(
        (child) =>
          new Promise<void>((resolveExit) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolveExit();
            // A function finishes its requests in flight within its grace period, then exits.
            const timer = setTimeout(() => child.kill('SIGKILL'), defaults.shutdownGraceMs + 2000);
            child.once('exit', () => {
              clearTimeout(timer);
              resolveExit();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
    await Promise.all(this.#emulators.map((emulator) => emulator.stop()));
    await rm(this.#stateFile, { force: true });
  }
}

/** The local key and admin token survive restarts, so scripts keep working. */
async function localSecrets(stateDir: string): Promise<{ apiKey: string; adminToken: string }> {
  const file = join(stateDir, 'secrets.json');
  try {
    const secrets = JSON.parse(await readFile(file, 'utf8')) as {
      apiKey?: string;
      adminToken?: string;
    };
    if (secrets.apiKey && secrets.adminToken)
      return { apiKey: secrets.apiKey, adminToken: secrets.adminToken };
  } catch {
    // first start
  }
  const secrets = {
    apiKey: `trb_local_${randomBytes(24).toString('base64url')}`,
    adminToken: randomBytes(32).toString('base64url'),
  };
  await writeFile(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return secrets;
}

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await fetch(url, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      await sleep(100);
    }
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

export { topics };
