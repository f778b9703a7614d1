import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectNumberQuery } from '../../infra/deploy/gcloudCommand.ts';
import { generatedSecretFile } from '../../infra/deploy/secretSteps.ts';
import { secrets } from '../../infra/spec.ts';
import {
  mapBounded,
  NetworkTrap,
  parsedSignal,
  requireGcloud,
  runOfflineGcloud,
  type GcloudRun,
} from '../support/offlineGcloud.ts';
import {
  asRun,
  distinctShapes,
  plannedCommands,
  plans,
  projectNumber,
  target,
} from '../support/plannedGcloudCommands.ts';

/** The plan as `npm run deploy -- --plan` prints it: step number → the gcloud line. */
function printedPlan(flags: readonly string[]): { header: string; lines: Map<number, string> } {
  const printed = spawnSync(
    process.execPath,
    [
      'scripts/deploy.ts',
      '--project',
      target.project,
      '--region',
      target.region,
      '--plan',
      ...flags,
    ],
    { encoding: 'utf8' },
  );
  if (printed.status !== 0) throw new Error(`npm run deploy --plan failed:\n${printed.stderr}`);
  const lines = new Map<number, string>();
  for (const line of printed.stdout.split('\n')) {
    const match =
      /^\s*(\d+)\. gcloud (.*?)(?: {3}\((?:skipped if it exists|if it exists)\))?$/.exec(line);
    if (match) lines.set(Number(match[1]), match[2]!);
  }
  const header = /is the project's number: gcloud (.*)$/m.exec(printed.stdout)?.[1] ?? '';
  return { header, lines };
}

/** The argv a POSIX shell makes of a printed line, with PROJECT_NUMBER set as a user would. */
function shellSplit(line: string, cwd: string): string[] {
  const split = spawnSync('sh', ['-c', `set -f; printf '%s\\0' ${line}`], {
    cwd,
    env: { PATH: process.env.PATH, PROJECT_NUMBER: projectNumber },
    encoding: 'utf8',
  });
  if (split.status !== 0) throw new Error(`sh could not read: ${line}\n${split.stderr}`);
  return split.stdout.split('\0').slice(0, -1);
}

function parsed(run: GcloudRun): boolean {
  return run.status === 1 && run.stderr.includes(parsedSignal);
}

function gcloudError(run: GcloudRun): string {
  const error = run.stderr.split('\n').find((line) => line.startsWith('ERROR:'));
  return error ?? `exit ${run.status}: ${run.stderr.trim().slice(0, 500)}`;
}

describe('the deploy plan against the installed gcloud', () => {
  let trap: NetworkTrap;
  let workDir: string;

  beforeAll(async () => {
    requireGcloud();
    trap = await NetworkTrap.start();
    // Where the deploy runs: the secret files it writes before `secrets create`, the staged source.
    workDir = await mkdtemp(join(tmpdir(), 'tributary-deploy-check-'));
    for (const variable of Object.keys(secrets)) {
      const file = join(workDir, generatedSecretFile(variable));
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, 'not-a-secret');
    }
    await mkdir(join(workDir, target.sourceDir), { recursive: true });
  });
  afterAll(async () => {
    await trap?.close();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('prints every command as a shell line that gives gcloud the argv the deploy runs', () => {
    for (const { flags, steps } of Object.values(plans)) {
      const { header, lines } = printedPlan(flags);
      expect(shellSplit(header, workDir)).toEqual(asRun(projectNumberQuery(target.project)));
      const expected = steps.flatMap((step, index) =>
        step.kind === 'gcloud' ? [[index + 1, asRun(step.args)] as const] : [],
      );
      const asSplit = Object.fromEntries(
        [...lines].map(([number, line]) => [`step ${number}`, shellSplit(line, workDir)]),
      );
      expect(asSplit).toEqual(
        Object.fromEntries(expected.map(([number, argv]) => [`step ${number}`, argv])),
      );
    }
  });

  it('tells a command gcloud parses from one with a flag it does not know', async () => {
    const [first] = plannedCommands();
    const good = await runOfflineGcloud(first!.argv, { cwd: workDir, trap });
    const bad = await runOfflineGcloud([...first!.argv, '--no-such-flag'], { cwd: workDir, trap });
    expect({ parsed: parsed(good), error: gcloudError(good) }).toMatchObject({ parsed: true });
    expect(parsed(bad)).toBe(false);
    expect(gcloudError(bad)).toMatch(/unrecognized arguments: --no-such-flag/);
  });

  it('gcloud parses every distinct command of the deploy and the destroy, offline', async () => {
    const commands = distinctShapes(plannedCommands());
    const concurrency = Math.min(2, availableParallelism());
    const runs = await mapBounded(commands, concurrency, (command) =>
      runOfflineGcloud(command.argv, { cwd: workDir, trap }),
    );
    const failures = commands.flatMap((command, index) =>
      parsed(runs[index]!)
        ? []
        : [`${command.label}: gcloud ${command.argv.join(' ')}\n  ${gcloudError(runs[index]!)}`],
    );
    expect(failures).toEqual([]);
    // Every address gcloud could call leads to the trap, which saw no API call.
    expect(trap.apiRequests()).toEqual([]);
  }, 300_000);
});
