/**
 * Cold starts: for each function, the time from spawning its process to its first
 * answer, built JavaScript as deployed (`npm run build`), beside a bare function loading
 * the same Google clients, in alternating runs on the same machine.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { freePort, sleep } from '../lib/emulators.ts';
import { projectRoot } from '../lib/localStack.ts';
import type { BenchResult } from './results.ts';
import { log } from './settings.ts';
import { percentile, round } from './stats.ts';

/** The functions measured, and the first request each answers (no dependency called). */
const firstRequests: Record<string, { method: string; path: string; body?: string }> = {
  ingest: { method: 'GET', path: '/health' },
  api: { method: 'GET', path: '/health' },
  // A push without a Pub/Sub message: acknowledged as unreadable, no client called.
  processEvent: { method: 'POST', path: '/', body: '{}' },
  floor: { method: 'GET', path: '/' },
};

type Subject = 'ingest' | 'api' | 'processEvent' | 'floor';

export const coldStartRuns = 5;

export async function measureColdStarts(): Promise<BenchResult['coldStart']> {
  log(
    'Cold starts: each function built as deployed, beside a bare function with the same clients…',
  );
  const build = spawnSync('npm', ['run', 'build'], { cwd: projectRoot, stdio: 'ignore' });
  if (build.status !== 0) throw new Error('npm run build failed');
  const times: Record<Subject, number[]> = { ingest: [], api: [], processEvent: [], floor: [] };
  for (let run = 0; run < coldStartRuns; run += 1) {
    for (const subject of ['ingest', 'api', 'processEvent', 'floor'] as const) {
      times[subject].push(await coldStart(subject));
    }
  }
  const median = (subject: Subject) => round(percentile(times[subject], 50) ?? 0, 0);
  const floorMs = median('floor');
  const functions = {
    ingest: { ms: median('ingest') },
    api: { ms: median('api') },
    processEvent: { ms: median('processEvent') },
  };
  return {
    ...functions,
    floor: { ms: floorMs },
    runs: coldStartRuns,
    ratio: round(Math.max(...Object.values(functions).map((f) => f.ms)) / floorMs),
  };
}

/** Milliseconds from spawning the process to its first answer. */
async function coldStart(subject: Subject): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [join(projectRoot, 'scripts', 'bench', 'coldStartServe.ts'), subject, String(port)],
    {
      cwd: projectRoot,
      stdio: 'ignore',
      env: {
        ...process.env,
        METADATA_SERVER_DETECTION: 'none',
        GOOGLE_CLOUD_PROJECT: 'bench-cold-start',
        ADMIN_TOKEN: 'cold-start-admin-token-0123456789',
        LOG_LEVEL: 'warn',
      },
    },
  );
  try {
    const { method, path, body } = firstRequests[subject]!;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const answered = await fetch(`http://127.0.0.1:${port}${path}`, {
        method,
        ...(body ? { body, headers: { 'content-type': 'application/json' } } : {}),
      }).then(
        () => true,
        () => false,
      );
      if (answered) return round(performance.now() - started, 0);
      if (Date.now() > deadline) throw new Error(`${subject} did not answer within 60 s`);
      await sleep(5);
    }
  } finally {
    child.kill('SIGTERM');
  }
}
