/**
 * The web console in Debian's Chromium, driven by playwright-core (no browser download):
 * shared by the end-to-end test and `npm run docs:screenshots`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Headless, and nothing that reaches for the network on its own. */
export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export type ConsoleBrowser = {
  context: BrowserContext;
  page: Page;
  /** Script errors and policy violations seen so far (failed loads like a 404 are not errors). */
  errors: string[];
  close: () => Promise<void>;
};

/** Chromium with a fresh profile, its console errors collected. */
export async function openConsoleBrowser(
  viewport = { width: 1280, height: 900 },
): Promise<ConsoleBrowser> {
  const profile = await mkdtemp(join(tmpdir(), 'tributary-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    viewport,
    args: chromiumArgs,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
      errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return {
    context,
    page,
    errors,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Opens the console signed in: the token goes where the sign-in form puts it. */
export async function signIn(page: Page, apiUrl: string, adminToken: string): Promise<void> {
  await page.goto(`${apiUrl}/console`);
  await page.evaluate((token) => sessionStorage.setItem('tributary.adminToken', token), adminToken);
}

/** What loading one view cost: the bytes the browser received and the API calls made. */
export type LoadMeasure = { bytes: number; requests: number; apiCalls: string[] };

/**
 * Loads a view from nothing (no cache) and measures it: every response's bytes as
 * received (headers included), and the calls other than the console's own files.
 * `ready` resolves when the view shows its data.
 */
export async function measureLoad(
  page: Page,
  url: string,
  ready: () => Promise<unknown>,
): Promise<LoadMeasure> {
  const session = await page.context().newCDPSession(page);
  await session.send('Network.enable');
  await session.send('Network.setCacheDisabled', { cacheDisabled: true });
  const urls = new Map<string, string>();
  let bytes = 0;
  session.on('Network.requestWillBeSent', (event) => urls.set(event.requestId, event.request.url));
  session.on('Network.loadingFinished', (event) => {
    bytes += event.encodedDataLength;
  });
  await page.goto('about:blank');
  await page.goto(url);
  await ready();
  // Let late answers land, so a call made after the data showed is counted too.
  await page.waitForLoadState('networkidle');
  await session.send('Network.setCacheDisabled', { cacheDisabled: false });
  await session.detach();
  const requested = [...urls.values()].map((u) => new URL(u));
  const apiCalls = requested
    .filter((u) => u.protocol.startsWith('http') && !u.pathname.startsWith('/console'))
    .filter((u) => u.pathname !== '/' && u.pathname !== '/favicon.ico')
    .map((u) => `${u.pathname}${u.search}`);
  return { bytes, requests: requested.length, apiCalls };
}

/** Counts the API calls a view makes when the operator moves to it within the page. */
export async function apiCallsOf(
  page: Page,
  hash: string,
  ready: () => Promise<unknown>,
): Promise<string[]> {
  const calls: string[] = [];
  const listener = (request: { url: () => string }) => {
    const url = new URL(request.url());
    if (!url.pathname.startsWith('/console')) calls.push(`${url.pathname}${url.search}`);
  };
  page.on('request', listener);
  try {
    await page.evaluate((target) => {
      (globalThis as unknown as { location: { hash: string } }).location.hash = target;
    }, hash);
    await ready();
    // A hash change keeps the document: give a late call the time to show up.
    await page.waitForTimeout(300);
  } finally {
    page.off('request', listener);
  }
  return calls;
}
