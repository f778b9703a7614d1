/**
 * The two floors single-event ingest is compared with: the bare functions framework
 * answering 202, and the same with an awaited publish (floorFunction.ts), each in its
 * own process like the stack's functions.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort, sleep } from '../lib/emulators.ts';
import { projectRoot } from '../lib/localStack.ts';
import type { BenchStack, Cleanup } from './benchStack.ts';

export type FloorUrls = { floorUrl: string; publishFloorUrl: string };

export async function startFloors(
  bench: Pick<BenchStack, 'projectId' | 'emulatorHosts'>,
  cleanup: Cleanup,
): Promise<FloorUrls> {
  const startFloor = async (mode: 'bare' | 'publish') => {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [join(projectRoot, 'scripts/bench/floorFunction.ts'), String(port), mode],
      {
        stdio: 'ignore',
        env: {
          ...process.env,
          GOOGLE_CLOUD_PROJECT: bench.projectId,
          PUBSUB_EMULATOR_HOST: bench.emulatorHosts.pubsub,
          FIRESTORE_EMULATOR_HOST: bench.emulatorHosts.firestore,
        },
      },
    );
    cleanup.push(() => stopProcess(child));
    await waitForHttp(`http://127.0.0.1:${port}/`);
    return `http://127.0.0.1:${port}/`;
  };
  const floorUrl = await startFloor('bare');
  const publishFloorUrl = await startFloor('publish');
  return { floorUrl, publishFloorUrl };
}

async function waitForHttp(url: string): Promise<void> {
  for (let i = 0; i < 100; i += 1) {
    try {
      await fetch(url, { method: 'POST' });
      return;
    } catch {
      await sleep(100);
    }
  }
  throw new Error(`${url} did not answer`);
}

function stopProcess(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
