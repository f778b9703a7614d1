import { spawn, type ChildProcess } from 'node:child_process';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { functions, type FunctionName } from '../../infra/spec.ts';
import { defaults } from '../../functions/src/lib/defaults.ts';
import { freePort, sleep } from './emulators.ts';
import { startFrontDoor } from './frontDoor.ts';

/**
 * Every function in its own process on 127.0.0.1, as the platform runs them: a push
 * function behind a front door on its public port, an HTTP function on that port itself.
 * A process that crashes is started again.
 */
export class FunctionProcesses {
  readonly #processes = new Map<FunctionName, ChildProcess>();
  readonly #ports: Record<FunctionName, number>;
  /** Where each function's process listens: behind its front door for push functions. */
  readonly #processPorts = new Map<FunctionName, number>();
  readonly #frontDoors: Server[] = [];
  readonly #pushes = new Map<FunctionName, number>();
  readonly #env: NodeJS.ProcessEnv;
  readonly #projectRoot: string;
  readonly #log: (line: string) => void;
  #stopping = false;

  constructor(args: {
    /** The public port of each function, where the spec's push endpoints point. */
    ports: Record<FunctionName, number>;
    env: NodeJS.ProcessEnv;
    projectRoot: string;
    log: (line: string) => void;
  }) {
    this.#ports = args.ports;
    this.#env = args.env;
    this.#projectRoot = args.projectRoot;
    this.#log = args.log;
  }

  /** Opens the front doors, starts every process, and waits until each one answers. */
  async start(): Promise<void> {
    await this.#openFrontDoors();
    for (const fn of functions) this.#spawn(fn.name);
    await Promise.all(
      functions.map((fn) =>
        waitForHttp(`http://127.0.0.1:${this.#processPorts.get(fn.name)}`, 60_000),
      ),
    );
  }

  /** Push functions get a front door on their public port; HTTP functions listen on it themselves. */
  async #openFrontDoors(): Promise<void> {
    for (const fn of functions) {
      if (fn.trigger !== 'pubsub-push') {
        this.#processPorts.set(fn.name, this.#ports[fn.name]);
        continue;
      }
      const processPort = await freePort();
      this.#processPorts.set(fn.name, processPort);
      const onPush = () => this.#pushes.set(fn.name, (this.#pushes.get(fn.name) ?? 0) + 1);
      this.#frontDoors.push(await startFrontDoor(this.#ports[fn.name], processPort, { onPush }));
    }
  }

  #spawn(name: FunctionName): void {
    const child = spawn(
      process.execPath,
      [
        join(this.#projectRoot, 'scripts', 'serveFunction.ts'),
        name,
        String(this.#processPorts.get(name)),
      ],
      { cwd: this.#projectRoot, env: this.#env, stdio: ['ignore', 'pipe', 'pipe'] },
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
        if (!this.#stopping) this.#spawn(name);
      }, 500);
    });
  }

  /** Pushes a push-triggered function's front door has taken so far (its invocations). */
  pushesTo(name: FunctionName): number {
    return this.#pushes.get(name) ?? 0;
  }

  /** The process serving a function now. */
  process(name: FunctionName): ChildProcess | undefined {
    return this.#processes.get(name);
  }

  /** Ends every process (none is started again), then closes the front doors. */
  async stop(): Promise<void> {
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
    for (const door of this.#frontDoors) door.closeAllConnections();
    await Promise.all(
      this.#frontDoors.map((door) => new Promise<void>((closed) => door.close(() => closed()))),
    );
  }
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
