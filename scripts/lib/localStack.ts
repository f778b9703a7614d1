import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { applyPubSubSpec, topicPushPath } from '../../infra/applyPubSub.ts';
import type { PubSub } from '@google-cloud/pubsub';
import { functions, schedules, topics, type FunctionName } from '../../infra/spec.ts';
import { createApiKey, FirestoreApiKeyStore } from '../../functions/src/ingest/apiKeys.ts';
import { createFirestore, createPubSub } from '../../functions/src/lib/clients.ts';
import { loadConfig } from '../../functions/src/lib/config.ts';
import { LocalScheduler } from './localScheduler.ts';
import {
  checkEmulatorPrerequisites,
  freePort,
  reuseEmulator,
  startEmulator,
  type RunningEmulator,
} from './emulators.ts';
import { FunctionProcesses } from './functionProcesses.ts';

export const projectRoot = resolve(import.meta.dirname, '..', '..');

/** The local warehouse (DuckDB) of a stack whose state lives in `stateDir`. */
export function localWarehousePath(stateDir: string): string {
  return join(stateDir, 'warehouse.duckdb');
}

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
  /** A local Reports API and token endpoint for Workspace sources; Google's when not given. */
  workspaceApiRootUrl?: string;
  workspaceTokenUrl?: string;
  log?: (line: string) => void;
  /** Whether webhook endpoints may point at loopback addresses (default: yes, for local receivers). */
  webhookAllowLoopback?: boolean;
  /** Settings for the function processes, over the inherited environment. */
  env?: Record<string, string>;
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
  readonly #functions: FunctionProcesses;
  readonly #env: NodeJS.ProcessEnv;
  readonly #ports: Record<FunctionName, number>;
  readonly #stateFile: string;
  readonly #log: (line: string) => void;
  #stopping = false;
  #scheduler: LocalScheduler | undefined;
  #schedulerPubSub: PubSub | undefined;

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
    this.#functions = new FunctionProcesses({
      ports: args.ports,
      env: args.env,
      projectRoot,
      log: args.log,
    });
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
        ...options.env,
        GOOGLE_CLOUD_PROJECT: projectId,
        PUBSUB_EMULATOR_HOST: pubsub.host,
        FIRESTORE_EMULATOR_HOST: firestore.host,
        TRIBUTARY_ENV: 'local',
        ADMIN_TOKEN: secrets.adminToken,
        ENCRYPTION_KEY: secrets.encryptionKey,
        SUBJECT_HASH_KEY: secrets.subjectHashKey,
        // Receivers on this machine are what local development needs.
        WEBHOOK_ALLOW_LOOPBACK: String(options.webhookAllowLoopback ?? true),
        LOG_LEVEL: options.logLevel ?? process.env.LOG_LEVEL ?? 'info',
        METADATA_SERVER_DETECTION: 'none',
        WAREHOUSE_DUCKDB_PATH: localWarehousePath(stateDir),
        ...(options.workspaceApiRootUrl
          ? { WORKSPACE_API_ROOT_URL: options.workspaceApiRootUrl }
          : {}),
        ...(options.workspaceTokenUrl ? { WORKSPACE_TOKEN_URL: options.workspaceTokenUrl } : {}),
      };
      const functionUrls = Object.fromEntries(
        functions.map((fn) => [fn.name, `http://127.0.0.1:${ports[fn.name]}`]),
      ) as Record<FunctionName, string>;
      // The api function gives it with every new API key.
      env.INGEST_URL = functionUrls.ingest;
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
        await stack.#functions.start();
        await stack.#provision(options.retryProfile ?? 'local');
        stack.#startScheduler();
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
          `http://127.0.0.1:${this.#ports[fn]}${topicPushPath(config.projectId, subscription.topic)}`,
      });
      await createApiKey(new FirestoreApiKeyStore(firestore), {
        name: 'local',
        key: this.info.apiKey,
      });
    } finally {
      await Promise.all([pubsub.close(), firestore.terminate()]);
    }
  }

  /** The spec's schedules, published to their topics on their crons while the stack runs. */
  #startScheduler(): void {
    const pubsub = createPubSub(loadConfig(this.#env));
    this.#schedulerPubSub = pubsub;
    this.#scheduler = new LocalScheduler(
      schedules,
      (topic, data) => pubsub.topic(topic).publishMessage({ data }),
      this.#log,
    );
  }

  /** Pushes a push-triggered function's front door has taken so far (its invocations). */
  pushesTo(name: FunctionName): number {
    return this.#functions.pushesTo(name);
  }

  /** The process serving a function, for fault tests that kill it. */
  functionProcess(name: FunctionName): ChildProcess | undefined {
    return this.#functions.process(name);
  }

  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#scheduler?.stop();
    await this.#schedulerPubSub?.close();
    await this.#functions.stop();
    await Promise.all(this.#emulators.map((emulator) => emulator.stop()));
    await rm(this.#stateFile, { force: true });
  }
}

type LocalSecrets = {
  apiKey: string;
  adminToken: string;
  encryptionKey: string;
  subjectHashKey: string;
};

/** The local key, admin token and keys survive restarts, so scripts and hashes keep working. */
async function localSecrets(stateDir: string): Promise<LocalSecrets> {
  const file = join(stateDir, 'secrets.json');
  let kept: Partial<LocalSecrets> = {};
  try {
    kept = JSON.parse(await readFile(file, 'utf8')) as typeof kept;
    if (kept.apiKey && kept.adminToken && kept.encryptionKey && kept.subjectHashKey)
      return kept as LocalSecrets;
  } catch {
    // first start
  }
  const secrets = {
    apiKey: kept.apiKey ?? `trb_local_${randomBytes(24).toString('base64url')}`,
    adminToken: kept.adminToken ?? randomBytes(32).toString('base64url'),
    encryptionKey: kept.encryptionKey ?? randomBytes(32).toString('base64'),
    subjectHashKey: kept.subjectHashKey ?? randomBytes(32).toString('base64'),
  };
  await writeFile(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return secrets;
}

export { topics };
