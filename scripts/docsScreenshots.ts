/**
 * `npm run docs:screenshots`: starts a local stack of its own (emulators on free ports,
 * every function, a stand-in Google for the Workspace source), seeds it through the
 * APIs, and saves a screenshot of each console panel to docs/images/, so the pictures in
 * docs/console.md always show the console as it is. Needs the emulators (as npm start
 * does) and Chromium (/usr/bin/chromium, or CHROMIUM_PATH).
 *
 *   npm run docs:screenshots            # writes docs/images/console-*.png
 *   npm run docs:screenshots -- --serve # then keeps the seeded stack running until Ctrl-C
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { openConsoleBrowser, signIn } from './lib/consoleBrowser.ts';
import { seedConsole, startSeedReceiver } from './lib/consoleSeed.ts';
import {
  checkEmulatorPrerequisites,
  EmulatorError,
  freePort,
  sleep,
  startEmulator,
  type RunningEmulator,
} from './lib/emulators.ts';
import { LocalStack, projectRoot } from './lib/localStack.ts';
import { startQuietWorkspace } from './lib/quietWorkspace.ts';

const { values } = parseArgs({
  options: {
    serve: { type: 'boolean', default: false },
    out: { type: 'string', default: join(projectRoot, 'docs', 'images') },
  },
});

/** Each view: its URL fragment, what shows it is ready, and the file it is saved to. */
type Shot = {
  name: string;
  hash: string;
  ready: string;
  phone?: boolean;
  /** What the operator does before the picture is taken. */
  act?: (page: Page) => Promise<void>;
};

/** What the uploads picture shows being uploaded: rows as a spreadsheet exports them. */
const uploadCsv = [
  'event_id,Event Type,timestamp,user_id,score',
  'q-1,quiz_started,2026-11-30T09:00:00Z,u-7,',
  'q-2,quiz_completed,2026-11-30T09:12:00Z,u-7,78',
  'q-3,quiz completed,2026-11-30T09:13:00Z,u-8,64',
  'q-4,quiz_completed,30/11/2026,u-9,91',
  'q-5,quiz_started,2026-11-30T10:01:00Z,u-10,',
].join('\r\n');

/** Pictures stop at this height: long lists go on below, as the page shows them. */
const maxHeight = 1400;

process.env.METADATA_SERVER_DETECTION ??= 'none';
const emulators: RunningEmulator[] = [];
const cleanups: (() => Promise<void>)[] = [];
let stack: LocalStack | undefined;
try {
  checkEmulatorPrerequisites();
  console.log('Starting the emulators and the functions…');
  emulators.push(
    ...(await Promise.all([
      startEmulator('pubsub', await freePort()),
      startEmulator('firestore', await freePort()),
    ])),
  );
  const workspace = await startQuietWorkspace();
  cleanups.push(workspace.close);
  const receiver = await startSeedReceiver();
  cleanups.push(receiver.close);
  const stateDir = await mkdtemp(join(tmpdir(), 'tributary-docs-'));
  cleanups.push(() => rm(stateDir, { recursive: true, force: true }));
  const endpointCacheSeconds = 1;
  stack = await LocalStack.start({
    projectId: 'tributary-docs',
    stateDir,
    pubsubEmulatorHost: emulators[0]!.host,
    firestoreEmulatorHost: emulators[1]!.host,
    functionsBasePort: 0,
    logLevel: 'warn',
    log: () => undefined,
    workspaceApiRootUrl: workspace.rootUrl,
    workspaceTokenUrl: workspace.tokenUrl,
    env: { WEBHOOK_ENDPOINT_CACHE_SECONDS: String(endpointCacheSeconds) },
  });
  const { info } = stack;
  console.log('Seeding it through the APIs…');
  const seed = await seedConsole(info, {
    days: 21,
    receiverUrl: receiver.url,
    endpointCacheSeconds,
  });
  await pollSource(info.apiUrl, info.adminToken, seed.sourceId);
  console.log(`Seeded ${seed.events} events on ${seed.sites.join(', ')}.`);

  const firstEvent = await firstDeliveredOrder(info.apiUrl, info.adminToken, seed.endpoints.orders);
  const shots: Shot[] = [
    { name: 'overview', hash: '#/overview', ready: '#throughput .uplot' },
    { name: 'sites', hash: '#/sites?range=30d&site=shop', ready: '#site-days-table' },
    {
      name: 'sites-phone',
      hash: '#/sites?range=7d&site=shop',
      ready: '#site-days-table',
      phone: true,
    },
    { name: 'metrics', hash: '#/metrics?range=30d', ready: '#metrics-days-table' },
    {
      name: 'uploads',
      hash: '#/uploads',
      ready: '#uploads-table',
      act: async (page) => {
        await page.getByLabel('Choose a CSV file, or drop one here').setInputFiles({
          name: 'results.csv',
          mimeType: 'text/csv',
          buffer: Buffer.from(uploadCsv),
        });
        await page.getByRole('button', { name: 'Upload' }).click();
        await page.locator('#upload-result #upload-errors').waitFor();
      },
    },
    { name: 'event', hash: `#/events/${firstEvent}`, ready: '#event-deliveries .delivery' },
    {
      name: 'webhooks',
      hash: `#/webhooks/${seed.endpoints.signups}`,
      ready: '#endpoint-failures-table',
    },
    { name: 'sources', hash: `#/sources/${seed.sourceId}`, ready: '#source-cursors-table' },
    {
      name: 'keys',
      hash: '#/keys',
      ready: '#keys-table',
      act: async (page) => {
        // A browser key, so the picture shows the snippet a page takes.
        await page.getByLabel('Name (who uses it)').fill('shop-website');
        await page.getByLabel('Site (optional)').fill('shop');
        await page
          .getByLabel(/Allowed origins/)
          .fill('https://shop.example\nhttps://*.shop.example');
        await page.getByRole('button', { name: 'Create key' }).click();
        await page.locator('#key-created .snippet').waitFor();
      },
    },
  ];
  await mkdir(values.out, { recursive: true });
  for (const phone of [false, true]) {
    const browser = await openConsoleBrowser(
      phone ? { width: 390, height: 844 } : { width: 1280, height: 860 },
    );
    try {
      await signIn(browser.page, info.apiUrl, info.adminToken);
      for (const shot of shots.filter((s) => Boolean(s.phone) === phone)) {
        await capture(browser.page, `${info.apiUrl}/console${shot.hash}`, shot, values.out);
      }
      if (browser.errors.length > 0)
        throw new Error(`the console reported: ${browser.errors.join('; ')}`);
    } finally {
      await browser.close();
    }
  }
  console.log(`Wrote ${shots.length} screenshots to ${values.out}.`);
  if (values.serve) {
    console.log(
      `\nThe seeded console: ${info.apiUrl}/console  (admin token ${info.adminToken})\nCtrl-C stops it.`,
    );
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  }
} catch (error) {
  console.error(error instanceof EmulatorError ? error.message : error);
  process.exitCode = 1;
} finally {
  await stack?.stop();
  for (const cleanup of cleanups.reverse()) await cleanup();
  await Promise.all(emulators.map((emulator) => emulator.stop()));
}

async function capture(page: Page, url: string, shot: Shot, out: string): Promise<void> {
  await page.goto(url);
  await page.locator(shot.ready).first().waitFor({ timeout: 30_000 });
  // Charts draw on the next frame; the status line says when the view finished loading.
  await page.locator('#status-line', { hasText: 'Updated' }).waitFor();
  await shot.act?.(page);
  await page.waitForTimeout(300);
  const height = await page.locator('body').evaluate((body) => body.scrollHeight);
  const width = page.viewportSize()?.width ?? 1280;
  await page.screenshot({
    path: join(out, `console-${shot.name}.png`),
    fullPage: true,
    clip: { x: 0, y: 0, width, height: Math.min(height, maxHeight) },
  });
}

/** Polls the source now and waits for its first window, so its cursors show. */
async function pollSource(apiUrl: string, token: string, sourceId: string): Promise<void> {
  const headers = { authorization: `Bearer ${token}` };
  await fetch(`${apiUrl}/v1/sources/${sourceId}/poll`, { method: 'POST', headers });
  for (let i = 0; i < 60; i += 1) {
    const source = (await (
      await fetch(`${apiUrl}/v1/sources/${sourceId}`, { headers })
    ).json()) as {
      lastSuccessAt: string | null;
    };
    if (source.lastSuccessAt) return;
    await sleep(1000);
  }
  throw new Error(`source ${sourceId} did not poll within 60 s`);
}

/** An event the orders endpoint received, to show an event with its deliveries. */
async function firstDeliveredOrder(
  apiUrl: string,
  token: string,
  endpointId: string,
): Promise<string> {
  const headers = { authorization: `Bearer ${token}` };
  for (let i = 0; i < 60; i += 1) {
    const { recent } = (await (
      await fetch(`${apiUrl}/v1/webhook-endpoints/${endpointId}/deliveries`, { headers })
    ).json()) as { recent: { eventId: string; attemptCount: number; status: string }[] };
    const retried = recent.find((d) => d.status === 'delivered' && d.attemptCount > 1);
    if (retried) return retried.eventId;
    await sleep(1000);
  }
  throw new Error('no order delivery was retried and delivered');
}
