import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export type EmulatorKind = 'pubsub' | 'firestore';

export type RunningEmulator = {
  kind: EmulatorKind;
  host: string;
  /** Undefined when an emulator that was already running is reused. */
  stop: () => Promise<void>;
  /** The process group of an emulator we started (the gcloud wrapper and its JVM). */
  processGroup?: number;
};

const startArgs: Record<EmulatorKind, (hostPort: string) => string[]> = {
  pubsub: (hostPort) => [
    'beta',
    'emulators',
    'pubsub',
    'start',
    `--host-port=${hostPort}`,
    '--quiet',
  ],
  firestore: (hostPort) => [
    'emulators',
    'firestore',
    'start',
    `--host-port=${hostPort}`,
    '--quiet',
  ],
};

export const installHelp = [
  'The Google Cloud SDK with its emulator components is needed:',
  "  Debian/Ubuntu (Google's apt repository): apt-get install google-cloud-cli google-cloud-cli-pubsub-emulator google-cloud-cli-firestore-emulator default-jre",
  '  Any other install of the SDK:            gcloud components install beta pubsub-emulator cloud-firestore-emulator',
  'Or point Tributary at emulators you already run: PUBSUB_EMULATOR_HOST=host:port FIRESTORE_EMULATOR_HOST=host:port',
].join('\n');

export class EmulatorError extends Error {
  override readonly name = 'EmulatorError';
}

/** Fails with the install instructions when gcloud or Java is missing. */
export function checkEmulatorPrerequisites(): void {
  const gcloud = spawnSync('gcloud', ['--version'], { stdio: 'ignore' });
  if (gcloud.error || gcloud.status !== 0)
    throw new EmulatorError(`gcloud was not found on PATH.\n${installHelp}`);
  const java = spawnSync('java', ['-version'], { stdio: 'ignore' });
  if (java.error || java.status !== 0)
    throw new EmulatorError(`Java was not found on PATH (the emulators need it).\n${installHelp}`);
}

/**
 * Starts an emulator in its own process group on 127.0.0.1:port and waits until it
 * answers. Refuses a port that something else already holds, so we never mistake
 * another process for ours.
 */
export async function startEmulator(
  kind: EmulatorKind,
  port: number,
  options: { timeoutMs?: number; log?: (line: string) => void } = {},
): Promise<RunningEmulator> {
  const host = `127.0.0.1:${port}`;
  if (!(await isPortFree(port))) {
    throw new EmulatorError(
      `Port ${port} for the ${kind} emulator is taken. Stop what holds it, or reuse a running emulator with ${kind === 'pubsub' ? 'PUBSUB' : 'FIRESTORE'}_EMULATOR_HOST=${host}.`,
    );
  }
  const child = spawn('gcloud', startArgs[kind](host), {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: emulatorEnvironment(process.env),
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    const text = chunk.toString();
    output = (output + text).slice(-20_000);
    options.log?.(text);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const stop = () => stopProcessGroup(child, exited);

  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    if (await answersOk(host)) return { kind, host, stop, processGroup: child.pid };
    await sleep(200);
  }
  await stop();
  const missing = /not installed|component|Invalid choice|ERROR: \(gcloud\)/i.test(output);
  throw new EmulatorError(
    `The ${kind} emulator did not start on ${host}.${missing ? `\n${installHelp}` : ''}\n--- emulator output ---\n${output.slice(-3000)}`,
  );
}

/**
 * The JVM flags an emulator runs with unless JAVA_TOOL_OPTIONS says otherwise. Stopping
 * at the first JIT tier skips the optimising compiler, whose compilations kept taking a
 * core for minutes after start: a warm Firestore emulator then spent half the CPU per
 * write (0.52 against 0.88 ms, 20,000 creates after 3,000 of warm-up) and answered faster.
 */
export const emulatorJvmFlags = '-XX:TieredStopAtLevel=1';

export function emulatorEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...env,
    CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
    JAVA_TOOL_OPTIONS: env.JAVA_TOOL_OPTIONS ?? emulatorJvmFlags,
  };
}

/** An emulator someone else runs; we neither start nor stop it. */
export async function reuseEmulator(kind: EmulatorKind, host: string): Promise<RunningEmulator> {
  if (!(await answersOk(host))) {
    throw new EmulatorError(
      `No ${kind} emulator answers at ${host} (from ${kind === 'pubsub' ? 'PUBSUB' : 'FIRESTORE'}_EMULATOR_HOST).`,
    );
  }
  return { kind, host, stop: async () => {} };
}

async function stopProcessGroup(
  child: ChildProcess,
  exited: Promise<number | null>,
): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // already gone
    }
  };
  signalGroup('SIGTERM');
  const done = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
  if (!done) signalGroup('SIGKILL');
  // The JVM is a grandchild: make sure the whole group is gone, not only the wrapper.
  await sleep(100);
  signalGroup('SIGKILL');
}

export async function answersOk(host: string): Promise<boolean> {
  try {
    const response = await fetch(`http://${host}/`, { signal: AbortSignal.timeout(1000) });
    return response.ok && (await response.text()).trim() === 'Ok';
  } catch {
    return false;
  }
}

export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** A port that was free a moment ago, chosen by the kernel. */
/** Ports this process has handed out: the OS may offer a just-closed port again before its new owner binds it. */
const handedOut = new Set<number>();

/** A port free on 127.0.0.1 now, and never one this process has handed out before. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const port = await ephemeralPort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('No free port found on 127.0.0.1.');
}

function ephemeralPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
