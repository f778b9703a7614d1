import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { projectRoot, type LocalStackInfo } from '../../scripts/lib/localStack.ts';
import { eventually, uniqueProjectId } from './pipeline.ts';

export type RunningNpmStart = {
  process: ChildProcess;
  stateDir: string;
  info: LocalStackInfo;
  /** Everything it printed so far, stdout and stderr. */
  output: () => string;
};

/**
 * `npm start` as a user runs it, on the test run's emulators and free ports, with its
 * own state folder (and any settings in `env`); resolves once it has written local.json
 * and printed its banner.
 */
export async function startNpmStart(
  label: string,
  env: Record<string, string> = {},
): Promise<RunningNpmStart> {
  const stateDir = await mkdtemp(join(tmpdir(), `tributary-${label}-`));
  const child = spawn(process.execPath, [join(projectRoot, 'scripts', 'start.ts')], {
    cwd: projectRoot,
    env: {
      ...process.env,
      GOOGLE_CLOUD_PROJECT: uniqueProjectId(label),
      PUBSUB_EMULATOR_HOST: inject('pubsubEmulatorHost'),
      FIRESTORE_EMULATOR_HOST: inject('firestoreEmulatorHost'),
      TRIBUTARY_FUNCTIONS_PORT: '0',
      TRIBUTARY_STATE_DIR: stateDir,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const info = await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`npm start exited:\n${output}`);
      try {
        return JSON.parse(await readFile(join(stateDir, 'local.json'), 'utf8')) as LocalStackInfo;
      } catch {
        return undefined;
      }
    },
    { timeoutMs: 90_000, what: 'the local stack to be ready' },
  );
  // The banner is printed once start-up has finished, just after local.json is written.
  await eventually(async () => (output.includes('Ctrl-C stops everything') ? true : undefined), {
    timeoutMs: 10_000,
    what: 'the start-up banner',
  });
  return { process: child, stateDir, info, output: () => output };
}

/** Runs one of the project's scripts (`sql.ts`, `job.ts`…) against a stack's state folder. */
export function runScript(
  stateDir: string,
  script: string,
  args: string[],
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [join(projectRoot, 'scripts', script), ...args], {
    cwd: projectRoot,
    env: { ...process.env, TRIBUTARY_STATE_DIR: stateDir },
  });
  let text = '';
  child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output: text })));
}

/** Stops `npm start` as Ctrl-C does, waits for it to exit, and removes its state folder. */
export async function stopNpmStart(stack: ChildProcess, stateDir: string): Promise<void> {
  if (stack.exitCode === null) {
    const exited = new Promise((resolve) => stack.once('exit', resolve));
    stack.kill('SIGINT');
    await exited;
  }
  await rm(stateDir, { recursive: true, force: true });
}
