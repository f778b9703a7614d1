/**
 * `npm test`: the checks that need no emulator first (types, lint, the OpenAPI documents
 * and their clients, unit tests), then the projects that start emulators and stacks, so a
 * mistake the fast stages find fails the run in a minute rather than after twenty. Stops
 * at the first stage that fails. Ends with each stage's duration (also written to
 * `.tributary/test-stages.json`, which `.ci/run` prints) and one plain line,
 * `N passed, N failed, N skipped`, the counts of every vitest run together.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { projectRoot } from './lib/localStack.ts';

export const testStages: readonly { name: string; command: string }[] = [
  { name: 'typecheck', command: 'npm run typecheck' },
  { name: 'lint', command: 'npm run lint' },
  { name: 'openapi', command: 'npm run openapi:lint && npm run openapi:clients -- --check' },
  { name: 'unit', command: 'vitest run --project unit' },
  {
    name: 'emulators',
    command: 'vitest run --project integration --project faults --project e2e',
  },
];

const stateDir = join(projectRoot, '.tributary');
const countsFile = join(stateDir, 'test-counts.jsonl');
await mkdir(stateDir, { recursive: true });
await rm(countsFile, { force: true });

const durations: { stage: string; seconds: number; ok: boolean }[] = [];
let failed = false;
for (const { name, command } of testStages) {
  const started = performance.now();
  const run = spawnSync(command, {
    cwd: projectRoot,
    shell: true,
    stdio: 'inherit',
    env: { ...process.env, TEST_COUNTS_FILE: countsFile },
  });
  const ok = run.status === 0;
  durations.push({ stage: name, seconds: Math.round((performance.now() - started) / 1000), ok });
  if (!ok) {
    failed = true;
    break;
  }
}

const totals = { passed: 0, failed: 0, skipped: 0 };
const lines = await readFile(countsFile, 'utf8').catch(() => '');
for (const line of lines.split('\n').filter(Boolean)) {
  const counts = JSON.parse(line) as typeof totals;
  totals.passed += counts.passed;
  totals.failed += counts.failed;
  totals.skipped += counts.skipped;
}
// A stage that failed without a test failing (types, lint) counts as one failure.
if (failed && totals.failed === 0) totals.failed = 1;
await writeFile(
  join(stateDir, 'test-stages.json'),
  `${JSON.stringify({ stages: durations, counts: totals }, null, 2)}\n`,
);
const out = (text: string) => process.stdout.write(`${text}\n`);
out('\nnpm test, by stage:');
for (const { stage, seconds, ok } of durations) {
  out(`  ${stage.padEnd(10)} ${String(seconds).padStart(5)} s${ok ? '' : '  failed'}`);
}
out(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(failed ? 1 : 0);
