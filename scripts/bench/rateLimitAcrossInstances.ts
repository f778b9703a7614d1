/**
 * Limits across instances: `ingest` served by several processes behind one front door
 * that hands requests to them in turn, as the platform spreads requests over instances.
 * One key sends three times its limit, then one client address three times the
 * per-address limit of a browser key; what is accepted per second, once the shares have
 * settled, over the limit, is the ratio.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { createApiKey } from '../../functions/src/ingest/apiKeys.ts';
import { freePort, sleep } from '../lib/emulators.ts';
import { startFrontDoor } from '../lib/frontDoor.ts';
import { projectRoot } from '../lib/localStack.ts';
import { browserPageCall } from './browserPath.ts';
import { browserOrigin, browserSiteId, type BenchStack } from './benchStack.ts';
import type { RateLimitAcrossInstances } from './results.ts';
import { log } from './settings.ts';
import { round } from './stats.ts';

const instances = 4;
const keyLimit = { perSecond: 50, burst: 100 };
const addressLimit = { perSecond: 20, burst: 60 };
/** How long each run sends, and from when its seconds count: the shares settle first. */
const seconds = 16;
const settleSeconds = 6;

export async function measureRateLimitAcrossInstances(
  bench: BenchStack,
): Promise<RateLimitAcrossInstances> {
  log(`Rate limits across ${instances} instances of ingest behind one front door…`);
  const ports = await Promise.all(Array.from({ length: instances }, () => freePort()));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GOOGLE_CLOUD_PROJECT: bench.projectId,
    PUBSUB_EMULATOR_HOST: bench.emulatorHosts.pubsub,
    FIRESTORE_EMULATOR_HOST: bench.emulatorHosts.firestore,
    FUNCTION_TARGET: 'ingest',
    TRIBUTARY_ENV: 'local',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_SECOND: String(keyLimit.perSecond),
    RATE_LIMIT_BURST: String(keyLimit.burst),
    BROWSER_RATE_LIMIT_PER_SECOND: String(addressLimit.perSecond),
    BROWSER_RATE_LIMIT_BURST: String(addressLimit.burst),
  };
  const children: ChildProcess[] = ports.map((port) =>
    spawn(
      process.execPath,
      [join(projectRoot, 'scripts', 'serveFunction.ts'), 'ingest', `${port}`],
      {
        cwd: projectRoot,
        env,
        stdio: 'ignore',
      },
    ),
  );
  const frontPort = await freePort();
  const door = await startFrontDoor(frontPort, ports, { holdWhileDownMs: 60_000 });
  try {
    const url = `http://127.0.0.1:${frontPort}`;
    await Promise.all(ports.map((port) => waitUntilServing(`http://127.0.0.1:${port}`)));
    const key = await createApiKey(bench.keys, { name: 'bench-limited' });
    const keyRun = await countAccepted({
      url: `${url}/v1/events`,
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ eventType: 'bench.limited', payload: { n: 1 } }),
      rate: 3 * keyLimit.perSecond,
    });
    const browserKey = await createApiKey(bench.keys, {
      name: 'bench-limited-browser',
      siteId: browserSiteId,
      allowedOrigins: [browserOrigin],
    });
    const browserRun = await countAccepted({
      url: `${url}/v1/p`,
      headers: {
        'content-type': 'text/plain',
        origin: browserOrigin,
        authorization: `Basic ${Buffer.from(`${browserKey.key}:`).toString('base64')}`,
      },
      body: JSON.stringify(
        browserPageCall(browserKey.key, browserOrigin, new Date().toISOString()),
      ),
      rate: 3 * addressLimit.perSecond,
    });
    return {
      instances,
      ratio: round(keyRun.acceptedPerSecond / keyLimit.perSecond, 3),
      acceptedPerSecond: round(keyRun.acceptedPerSecond, 1),
      limitPerSecond: keyLimit.perSecond,
      browserRatio: round(browserRun.acceptedPerSecond / addressLimit.perSecond, 3),
      browserAcceptedPerSecond: round(browserRun.acceptedPerSecond, 1),
      browserLimitPerSecond: addressLimit.perSecond,
      refused: keyRun.refused + browserRun.refused,
      errors: keyRun.errors + browserRun.errors,
    };
  } finally {
    door.closeAllConnections();
    await new Promise<void>((closed) => door.close(() => closed()));
    await Promise.all(children.map(stop));
  }
}

/** Sends at a fixed rate; counts the accepted answers in each second after the settling. */
async function countAccepted(options: {
  url: string;
  headers: Record<string, string>;
  body: string;
  rate: number;
}): Promise<{ acceptedPerSecond: number; refused: number; errors: number }> {
  const started = performance.now();
  let accepted = 0;
  let refused = 0;
  let errors = 0;
  await new Promise<void>((finished, failed) => {
    const run = autocannon(
      {
        url: options.url,
        method: 'POST',
        headers: options.headers,
        body: options.body,
        connections: 64,
        overallRate: options.rate,
        duration: seconds,
        timeout: 10,
      },
      (error) => (error ? failed(error) : finished()),
    );
    run.on('response', (_client, statusCode) => {
      const counted = performance.now() - started >= settleSeconds * 1000;
      if (statusCode === 202 || statusCode === 200) {
        if (counted) accepted += 1;
      } else if (statusCode === 429) refused += 1;
      else errors += 1;
    });
  });
  const countedSeconds = (performance.now() - started) / 1000 - settleSeconds;
  return { acceptedPerSecond: accepted / countedSeconds, refused, errors };
}

async function waitUntilServing(url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    // Any answer, a 404 included, says the process serves.
    const answered = await fetch(url, { signal: AbortSignal.timeout(2000) })
      .then(() => true)
      .catch(() => false);
    if (answered) return;
    await sleep(200);
  }
  throw new Error('ingest instances did not start');
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((exited) => {
    if (child.exitCode !== null || child.signalCode !== null) return exited();
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(timer);
      exited();
    });
    child.kill('SIGTERM');
  });
}
