import type { ChildProcess } from 'node:child_process';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type Page,
  type Request,
} from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey, keyIdOf } from '../../functions/src/ingest/apiKeys.ts';
import { trackingEventId } from '../../functions/src/ingest/tracking/trackingMessageToEvent.ts';
import type { LocalStackInfo } from '../../scripts/lib/localStack.ts';
import { chromiumArgs, chromiumPath } from '../../scripts/lib/consoleBrowser.ts';
import { runScript, startNpmStart, stopNpmStart } from '../support/npmStart.ts';
import { startPageServer, type PageServer } from '../support/pageServer.ts';
import { eventually, postJson } from '../support/pipeline.ts';

type CookielessKey = { key: string; keyId: string; visitors: string };
type CookielessMessage = { type: string; messageId: string; anonymousId?: string; userId?: string };
type CookielessVisitor = {
  context: BrowserContext;
  page: Page;
  sent: CookielessMessage[];
  answered: number[];
};

/** What the page's scripts see (the tests are typed without the DOM library). */
type CookielessPageGlobals = {
  tributary: {
    track: (name: string, properties?: Record<string, unknown>) => void;
    identify: (userId: string) => void;
  };
  document: { cookie: string };
  localStorage: { length: number };
  sessionStorage: { length: number };
  indexedDB: { databases: () => Promise<unknown[]> };
};

const cookielessSiteId = 'cookieless-shop';
const otherUserAgent =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15';

/** What the page keeps, as the page and the browser see it. */
async function keptInPage(visitor: CookielessVisitor) {
  const inPage = await visitor.page.evaluate(async () => {
    const g = globalThis as unknown as CookielessPageGlobals;
    return {
      cookie: g.document.cookie,
      localStorage: g.localStorage.length,
      sessionStorage: g.sessionStorage.length,
      indexedDB: (await g.indexedDB.databases()).length,
    };
  });
  const storage = await visitor.context.storageState();
  return { ...inPage, cookies: storage.cookies, origins: storage.origins };
}

type SiteStats = {
  totalViews: number;
  uniqueUsers: number;
  topPaths: { path: string; views: number }[];
};
type BrowserKey = { key: string; keyId: string };

type RudderStackPage = {
  page: () => void;
  track: (name: string, properties: Record<string, unknown>) => void;
  identify: (userId: string, traits: Record<string, unknown>) => void;
};

/** What the pages' scripts see (the tests are typed without the DOM library). */
type PageGlobals = {
  history: {
    pushState: (state: unknown, title: string, url: string) => void;
    replaceState: (state: unknown, title: string, url: string) => void;
    back: () => void;
  };
  tributary: {
    track: (name: string, properties?: Record<string, unknown>) => void;
    identify: (userId: string) => void;
  };
  dispatchEvent: (event: unknown) => void;
  PageTransitionEvent: new (type: string) => unknown;
};

/** Messages a page sent to ingest, read from the requests Chromium made. */
type Sent = { path: string; status: number | undefined; messageIds: string[] };

/**
 * Real browser SDKs in Debian's Chromium, on pages served from an origin other than
 * ingest's, against `npm start`: analytics.js (`@segment/analytics-next`, from the
 * registry, settings inline so nothing comes from a CDN) in its default and its batching
 * delivery, RudderStack's JavaScript SDK (its source config served by the site, its
 * plugins bundled) by XHR and by beacon, and our own tracker.
 */
describe('browser SDKs in Chromium against the local stack', () => {
  let stack: ChildProcess;
  let stateDir: string;
  let info: LocalStackInfo;
  let site: PageServer;
  let otherSite: PageServer;
  let browser: Browser;
  /** Every request any page made to a host other than 127.0.0.1: there must be none. */
  const external: string[] = [];

  const admin = () => ({ authorization: `Bearer ${info.adminToken}` });

  async function browserKey(siteId: string, origins: string[]): Promise<BrowserKey> {
    const response = await postJson(
      `${info.apiUrl}/v1/admin/api-keys`,
      { name: siteId, siteId, allowedOrigins: origins },
      admin(),
    );
    expect(response.status).toBe(201);
    return (await response.json()) as BrowserKey;
  }

  beforeAll(async () => {
    const started = await startNpmStart('e2e-browser');
    stack = started.process;
    stateDir = started.stateDir;
    info = started.info;
    site = await startPageServer();
    otherSite = await startPageServer();
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await otherSite?.close();
    if (stack) await stopNpmStart(stack, stateDir);
  });

  /** A fresh profile (storage, cookies) whose requests to ingest are recorded. */
  async function newVisitor(): Promise<{ context: BrowserContext; page: Page; sent: Sent[] }> {
    const context = await browser.newContext();
    const sent: Sent[] = [];
    const pending = new Map<Request, Sent>();
    context.on('request', (request) => {
      const url = new URL(request.url());
      if (url.hostname !== '127.0.0.1') external.push(request.url());
      if (!request.url().startsWith(info.ingestUrl) || request.method() !== 'POST') return;
      // Beacons carry a Blob: read the bytes, not the text.
      const body = JSON.parse(request.postDataBuffer()?.toString('utf8') ?? '{}') as {
        messageId?: string;
        batch?: { messageId: string }[];
      };
      const entry: Sent = {
        path: url.pathname,
        status: undefined,
        messageIds: body.batch ? body.batch.map((m) => m.messageId) : [body.messageId!],
      };
      sent.push(entry);
      pending.set(request, entry);
    });
    context.on('response', (response) => {
      const entry = pending.get(response.request());
      if (entry) entry.status = response.status();
    });
    // An answer the page may not read (no CORS headers) is a failed request to it.
    context.on('requestfailed', (request) => {
      const entry = pending.get(request);
      if (entry && entry.status === undefined) entry.status = 0;
    });
    const page = await context.newPage();
    page.on('pageerror', (error) => {
      throw error;
    });
    return { context, page, sent };
  }

  /** Every message the pages sent reached PROCESSED, once, under the key. */
  async function processed(key: BrowserKey, messageIds: string[]): Promise<void> {
    await eventually(
      async () => {
        const statuses = await Promise.all(
          messageIds.map(async (messageId) => {
            const response = await fetch(
              `${info.apiUrl}/v1/events/${trackingEventId(key.keyId, messageId)}`,
              { headers: admin() },
            );
            return response.status === 200
              ? ((await response.json()) as { status: string; attempts: number })
              : undefined;
          }),
        );
        return statuses.every((s) => s?.status === 'PROCESSED' && s.attempts === 1)
          ? true
          : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: `${messageIds.length} messages PROCESSED` },
    );
  }

  /** Loads the warehouse, waits for the site's events, then reads its statistics for today. */
  async function siteStats(siteId: string, events: number): Promise<SiteStats> {
    expect((await runScript(stateDir, 'job.ts', ['load-warehouse'])).code).toBe(0);
    await eventually(
      async () => {
        const result = await runScript(stateDir, 'sql.ts', [
          `SELECT COUNT(DISTINCT event_id) AS n FROM tributary.events WHERE site_id = '${siteId}'`,
          '--json',
        ]);
        if (result.code !== 0) return undefined;
        const { n } = JSON.parse(result.output.trim().split('\n').pop()!) as { n: string };
        return Number(n) >= events ? true : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 2000, what: `${events} events of ${siteId}` },
    );
    const response = await fetch(`${info.apiUrl}/v1/stats?siteId=${siteId}`, {
      headers: admin(),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as SiteStats;
  }

  /** How many events of each type the site has in the warehouse. */
  async function eventTypes(siteId: string): Promise<[string, number][]> {
    const result = await runScript(stateDir, 'sql.ts', [
      `SELECT event_type, COUNT(DISTINCT event_id) AS n FROM tributary.events WHERE site_id = '${siteId}' GROUP BY event_type ORDER BY event_type`,
      '--json',
    ]);
    return result.output
      .trim()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { event_type: string; n: string })
      .map((row) => [row.event_type, Number(row.n)]);
  }

  function segmentPage(key: BrowserKey, strategy: 'default' | 'batching'): string {
    const ingest = new URL(info.ingestUrl);
    const segmentIo = {
      apiKey: key.key,
      apiHost: `${ingest.host}/v1`,
      protocol: 'http',
      ...(strategy === 'batching'
        ? { deliveryStrategy: { strategy: 'batching', config: { size: 10, timeout: 300 } } }
        : {}),
    };
    // Inline settings: analytics.js asks the CDN for nothing.
    const settings = {
      writeKey: key.key,
      cdnSettings: { integrations: { 'Segment.io': segmentIo }, metrics: { sampleRate: 0 } },
    };
    return `<!doctype html><title>Segment ${strategy}</title>
<script src="/analytics-next/index.js"></script>
<script>window.ready = AnalyticsNext.AnalyticsBrowser.load(${JSON.stringify(settings)})
  .then(([analytics]) => (window.analytics = analytics));</script>`;
  }

  it('analytics.js, default delivery: page, track, identify from the page, PROCESSED, and exact site statistics', async () => {
    const key = await browserKey('browser-segment', [site.origin]);
    site.page('/segment/default', segmentPage(key, 'default'));
    const { context, page, sent } = await newVisitor();
    await page.goto(`${site.origin}/segment/default`);
    const ids = await page.evaluate(async () => {
      const w = globalThis as unknown as {
        ready: Promise<unknown>;
        analytics: Record<
          string,
          (...args: unknown[]) => Promise<{ event: { messageId: string } }>
        >;
      };
      await w.ready;
      const calls = [
        await w.analytics.page!(),
        await w.analytics.track!('Signed Up', { plan: 'pro' }),
        await w.analytics.identify!('seg-user-1', { plan: 'pro' }),
        await w.analytics.page!(),
      ];
      return calls.map((ctx) => ctx.event.messageId);
    });
    await eventually(
      async () => (sent.filter((s) => s.status === 200).length === 4 ? true : undefined),
      {
        what: 'four answered calls',
      },
    );
    expect(sent.map((s) => [s.path, s.status])).toEqual([
      ['/v1/p', 200],
      ['/v1/t', 200],
      ['/v1/i', 200],
      ['/v1/p', 200],
    ]);
    expect(sent.flatMap((s) => s.messageIds)).toEqual(ids);
    await processed(key, ids);
    await context.close();
    expect(await siteStats('browser-segment', 4)).toMatchObject({
      totalViews: 2,
      // The first view by its anonymous id, the second by the identified user.
      uniqueUsers: 2,
      topPaths: [{ path: '/segment/default', views: 2 }],
    });
  }, 120_000);

  it('analytics.js, batching delivery: one /v1/b request, PROCESSED, and exact site statistics', async () => {
    const key = await browserKey('browser-segment-batch', [site.origin]);
    site.page('/segment/batching', segmentPage(key, 'batching'));
    const { context, page, sent } = await newVisitor();
    await page.goto(`${site.origin}/segment/batching`);
    const ids = await page.evaluate(async () => {
      const w = globalThis as unknown as {
        ready: Promise<unknown>;
        analytics: Record<
          string,
          (...args: unknown[]) => Promise<{ event: { messageId: string } }>
        >;
      };
      await w.ready;
      const calls = await Promise.all([
        w.analytics.page!(),
        w.analytics.track!('Added To Cart', { sku: 'a-1' }),
        w.analytics.page!(),
      ]);
      return calls.map((ctx) => ctx.event.messageId);
    });
    await eventually(async () => (sent.some((s) => s.status === 200) ? true : undefined), {
      what: 'the batch answered',
    });
    expect(sent.map((s) => [s.path, s.status])).toEqual([['/v1/b', 200]]);
    expect([...sent[0]!.messageIds].sort()).toEqual([...ids].sort());
    await processed(key, ids);
    await context.close();
    expect(await siteStats('browser-segment-batch', 3)).toMatchObject({
      totalViews: 2,
      uniqueUsers: 1,
      topPaths: [{ path: '/segment/batching', views: 2 }],
    });
  }, 120_000);

  function rudderStackPage(key: BrowserKey, beacon: boolean): string {
    // Its source config comes from this site (configUrl), its plugins are in the bundle.
    const options = {
      configUrl: `${site.origin}/rs-config`,
      logLevel: 'ERROR',
      ...(beacon ? { useBeacon: true, beaconQueueOptions: { flushQueueInterval: 300 } } : {}),
    };
    return `<!doctype html><title>RudderStack</title>
<script src="/rudderstack/index.js"></script>
<script>const rs = new rudderanalytics.RudderAnalytics();
rs.load(${JSON.stringify(key.key)}, ${JSON.stringify(info.ingestUrl)}, ${JSON.stringify(options)});
window.ready = new Promise((resolve) => rs.ready(() => resolve(rs)));</script>`;
  }

  it('RudderStack’s JavaScript SDK: its XHR calls and its beacon, PROCESSED, and exact site statistics', async () => {
    const key = await browserKey('browser-rudderstack', [site.origin]);
    site.json('/rs-config/', {
      source: {
        id: 'web-source',
        name: 'web',
        writeKey: key.key,
        workspaceId: 'local',
        enabled: true,
        config: {},
        destinations: [],
      },
    });
    site.page('/rs/xhr', rudderStackPage(key, false));
    site.page('/rs/beacon', rudderStackPage(key, true));

    const xhr = await newVisitor();
    await xhr.page.goto(`${site.origin}/rs/xhr`);
    await xhr.page.evaluate(async () => {
      const rs = await (globalThis as unknown as { ready: Promise<RudderStackPage> }).ready;
      rs.page();
      rs.track('Signed Up', { plan: 'pro' });
      rs.identify('rs-user-1', { plan: 'pro' });
    });
    await eventually(
      async () => (xhr.sent.filter((s) => s.status === 200).length === 3 ? true : undefined),
      { what: 'three answered calls' },
    );
    expect(
      xhr.sent
        .map((s) => [s.path, s.status])
        .sort(([a], [b]) => String(a).localeCompare(String(b))),
    ).toEqual([
      ['/v1/identify', 200],
      ['/v1/page', 200],
      ['/v1/track', 200],
    ]);
    await processed(
      key,
      xhr.sent.flatMap((s) => s.messageIds),
    );
    await xhr.context.close();

    const beacon = await newVisitor();
    await beacon.page.goto(`${site.origin}/rs/beacon`);
    await beacon.page.evaluate(async () => {
      const rs = await (globalThis as unknown as { ready: Promise<RudderStackPage> }).ready;
      rs.page();
      rs.track('Clicked', { x: 1 });
    });
    await eventually(async () => (beacon.sent.length > 0 ? true : undefined), {
      what: 'the beacon',
    });
    expect(beacon.sent[0]?.path).toBe('/beacon/v1/batch');
    await beacon.context.close();

    expect(await siteStats('browser-rudderstack', 5)).toMatchObject({
      totalViews: 2,
      uniqueUsers: 2,
      topPaths: [
        { path: '/rs/beacon', views: 1 },
        { path: '/rs/xhr', views: 1 },
      ],
    });
    expect(await eventTypes('browser-rudderstack')).toEqual([
      ['identify.called', 1],
      ['page.viewed', 2],
      ['track.clicked', 1],
      ['track.signed_up', 1],
    ]);
  }, 120_000);

  function trackerPage(key: BrowserKey, attributes = ''): string {
    return `<!doctype html><title>Tracker</title>
<script defer src="${info.ingestUrl}/tracker.js" data-key="${key.key}"${attributes}></script>`;
  }

  it('our tracker: page views on load and client-side navigation, track and identify, the offline queue, a beacon on pagehide; exact site statistics', async () => {
    const key = await browserKey('browser-tracker', [site.origin]);
    site.page('/tracker/', trackerPage(key));
    site.page('/anonymous/', trackerPage(key, ' data-no-storage'));
    const visitor = await newVisitor();
    const { page } = visitor;
    const loaded = () => page.waitForFunction(() => 'tributary' in globalThis);
    const answered = (count: number) =>
      eventually(
        async () =>
          visitor.sent.filter((s) => s.status === 200).length >= count ? true : undefined,
        { what: `${count} tracker requests answered` },
      );
    await page.goto(`${site.origin}/tracker/home`);
    await loaded();
    await answered(1);
    // A client-side router: a push, a replace that keeps the URL (no new view), a push, back.
    await page.evaluate(() =>
      (globalThis as unknown as PageGlobals).history.pushState({}, '', '/tracker/pricing'),
    );
    await answered(2);
    await page.evaluate(() =>
      (globalThis as unknown as PageGlobals).history.replaceState(
        { scrolled: 1 },
        '',
        '/tracker/pricing',
      ),
    );
    await page.evaluate(() =>
      (globalThis as unknown as PageGlobals).history.pushState({}, '', '/tracker/docs'),
    );
    await answered(3);
    await page.evaluate(() => (globalThis as unknown as PageGlobals).history.back());
    await answered(4);
    await page.evaluate(() => {
      const t = (globalThis as unknown as PageGlobals).tributary;
      t.identify('tracker-user-1');
      t.track('Clicked Buy', { sku: 'a-1' });
    });
    await answered(5);
    // Offline, calls wait; back online, they go.
    await visitor.context.setOffline(true);
    await page.evaluate(() =>
      (globalThis as unknown as PageGlobals).tributary.track('Offline Click'),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const beforeOnline = visitor.sent.length;
    await visitor.context.setOffline(false);
    await answered(6);
    expect(visitor.sent.length).toBe(beforeOnline + 1);
    // Leaving the page: what is queued goes as a beacon.
    await page.evaluate(() => {
      (globalThis as unknown as PageGlobals).tributary.track('Leaving');
      const g = globalThis as unknown as PageGlobals;
      g.dispatchEvent(new g.PageTransitionEvent('pagehide'));
    });
    await answered(7);
    // A reload: the same visitor, now identified.
    await page.reload();
    await loaded();
    await answered(8);
    await visitor.context.close();

    // data-no-storage: no id kept, so each page load is a visitor of its own.
    const anonymous = await newVisitor();
    for (let i = 0; i < 2; i += 1) {
      await anonymous.page.goto(`${site.origin}/anonymous/home`);
      await anonymous.page.waitForFunction(() => 'tributary' in globalThis);
      await eventually(
        async () => (anonymous.sent.filter((s) => s.status === 200).length > i ? true : undefined),
        { what: 'the page view answered' },
      );
    }
    expect(await anonymous.page.evaluate(() => localStorage.length)).toBe(0);
    await anonymous.context.close();

    const all = [...visitor.sent, ...anonymous.sent];
    expect(all.every((s) => s.path === '/v1/batch' && s.status === 200)).toBe(true);
    // A beacon's Blob body is not shown to the test: it is counted in the warehouse below.
    const ids = all.flatMap((s) => s.messageIds).filter((id) => id !== undefined);
    expect(all).toHaveLength(10);
    expect(ids).toHaveLength(10);
    await processed(key, ids);
    expect(await siteStats('browser-tracker', 11)).toMatchObject({
      // home, pricing, docs, pricing (back), pricing (reload), and two anonymous homes.
      totalViews: 7,
      // The stored anonymous id, the identified user after the reload, two anonymous loads.
      uniqueUsers: 4,
      topPaths: [
        { path: '/tracker/pricing', views: 3 },
        { path: '/anonymous/home', views: 2 },
        { path: '/tracker/docs', views: 1 },
        { path: '/tracker/home', views: 1 },
      ],
    });
    expect(await eventTypes('browser-tracker')).toEqual([
      ['identify.called', 1],
      ['page.viewed', 7],
      ['track.clicked_buy', 1],
      ['track.leaving', 1],
      ['track.offline_click', 1],
    ]);
  }, 180_000);

  it('refuses a page on an origin the key does not list: 403, no CORS headers, nothing counted', async () => {
    // This key from the command line, as an operator makes one.
    const badOrigin = await runScript(stateDir, 'createApiKey.ts', [
      '--name',
      'refused',
      '--allowed-origin',
      `${site.origin}/`,
    ]);
    expect(badOrigin.code).toBe(2);
    expect(badOrigin.output).toContain(`--allowed-origin ${site.origin}/: must be an origin`);
    const created = await runScript(stateDir, 'createApiKey.ts', [
      '--name',
      'refused',
      '--site',
      'browser-refused',
      '--allowed-origin',
      site.origin,
    ]);
    expect(created.code).toBe(0);
    expect(created.output).toContain(`a browser key for ${site.origin}`);
    const printed = /^\s+(trb_\S+)$/m.exec(created.output)![1]!;
    const key = { key: printed, keyId: keyIdOf(hashApiKey(printed)) };
    otherSite.page('/tracker/', trackerPage(key));
    const { context, page, sent } = await newVisitor();
    const errors: string[] = [];
    page.on('console', (message) => errors.push(message.text()));
    await page.goto(`${otherSite.origin}/tracker/home`);
    await eventually(async () => (sent[0]?.status !== undefined ? true : undefined), {
      what: 'the refused page view',
    });
    // Chromium got no CORS headers, so the page could not even read the answer.
    expect(sent[0]).toMatchObject({ path: '/v1/batch', status: 0 });
    await eventually(async () => (errors.some((e) => /CORS/.test(e)) ? true : undefined), {
      what: 'Chromium to block the answer',
    });
    await context.close();
    // The same request as the page sent it: refused, and without CORS headers.
    const replay = await fetch(`${info.ingestUrl}/v1/batch`, {
      method: 'POST',
      headers: { origin: otherSite.origin, 'content-type': 'text/plain' },
      body: JSON.stringify({ batch: [{ type: 'page', anonymousId: 'x' }], writeKey: key.key }),
    });
    expect(replay.status).toBe(403);
    expect(replay.headers.get('access-control-allow-origin')).toBeNull();
    const response = await fetch(
      `${info.apiUrl}/v1/events/${trackingEventId(key.keyId, sent[0]!.messageIds[0]!)}`,
      { headers: admin() },
    );
    expect(response.status).toBe(404);
    expect(external).toEqual([]);
  }, 60_000);

  /** A fresh profile whose messages to ingest, and the answers, are recorded. */
  async function newCookielessVisitor(userAgent?: string): Promise<CookielessVisitor> {
    const context = await browser.newContext(userAgent ? { userAgent } : {});
    const visitor: CookielessVisitor = {
      context,
      page: await context.newPage(),
      sent: [],
      answered: [],
    };
    context.on('request', (request) => {
      if (!request.url().startsWith(info.ingestUrl) || request.method() !== 'POST') return;
      const body = JSON.parse(request.postDataBuffer()?.toString('utf8') ?? '{}') as {
        batch?: CookielessMessage[];
      };
      visitor.sent.push(...(body.batch ?? []));
    });
    context.on('response', (response) => {
      if (response.url().startsWith(info.ingestUrl) && response.request().method() === 'POST')
        visitor.answered.push(response.status());
    });
    visitor.page.on('pageerror', (error) => {
      throw error;
    });
    return visitor;
  }

  async function load(visitor: CookielessVisitor, path: string, answers: number): Promise<void> {
    await visitor.page.goto(`${site.origin}${path}`);
    await visitor.page.waitForFunction(() => 'tributary' in globalThis);
    await eventually(async () => (visitor.answered.length >= answers ? true : undefined), {
      what: `${answers} tracker requests answered`,
    });
  }

  async function sql(query: string): Promise<Record<string, string>[]> {
    const result = await runScript(stateDir, 'sql.ts', [query, '--json']);
    expect(result.code).toBe(0);
    return result.output
      .trim()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, string>);
  }

  /**
   * Our tracker with a cookieless browser key, in Debian's Chromium against `npm start`:
   * two page loads of one browser are one visitor, another browser at the same address is
   * another, and the page keeps nothing: no cookie, nothing in localStorage or
   * sessionStorage, no anonymousId sent.
   */
  describe('visitors counted without cookies', () => {
    let key: CookielessKey;

    beforeAll(async () => {
      const created = await postJson(
        `${info.apiUrl}/v1/admin/api-keys`,
        {
          name: cookielessSiteId,
          siteId: cookielessSiteId,
          allowedOrigins: [site.origin],
          visitors: 'cookieless',
        },
        admin(),
      );
      key = (await created.json()) as CookielessKey;
      if (created.status !== 201 || key.visitors !== 'cookieless')
        throw new Error(`cookieless key: ${created.status} ${JSON.stringify(key)}`);
      site.page(
        '/shop/',
        `<!doctype html><title>Shop</title>
  <script defer src="${info.ingestUrl}/tracker.js" data-key="${key.key}" data-visitors="cookieless"></script>`,
      );
    });

    it('counts two page loads of one browser as one visitor, another browser as a second, and keeps nothing in the page', async () => {
      const first = await newCookielessVisitor();
      await load(first, '/shop/home', 1);
      await load(first, '/shop/pricing', 2);
      await first.page.evaluate(() =>
        (globalThis as unknown as CookielessPageGlobals).tributary.track('Added To Cart', {
          sku: 'a-1',
        }),
      );
      await eventually(async () => (first.answered.length >= 3 ? true : undefined), {
        what: 'the track call answered',
      });

      const second = await newCookielessVisitor(otherUserAgent);
      await load(second, '/shop/home', 1);

      for (const visitor of [first, second]) {
        expect(visitor.answered.every((status) => status === 200)).toBe(true);
        // No id of the browser's own: ingest derives the visitor's.
        expect(visitor.sent.length).toBeGreaterThan(0);
        expect(visitor.sent.filter((m) => 'anonymousId' in m || 'userId' in m)).toEqual([]);
        expect(await keptInPage(visitor)).toEqual({
          cookie: '',
          localStorage: 0,
          sessionStorage: 0,
          indexedDB: 0,
          cookies: [],
          origins: [],
        });
      }
      await first.context.close();
      await second.context.close();

      const ids = [...first.sent, ...second.sent].map((m) => m.messageId);
      expect(ids).toHaveLength(4);
      await eventually(
        async () => {
          const statuses = await Promise.all(
            ids.map(async (messageId) => {
              const response = await fetch(
                `${info.apiUrl}/v1/events/${trackingEventId(key.keyId, messageId)}`,
                { headers: admin() },
              );
              return response.status === 200
                ? ((await response.json()) as { status: string }).status
                : undefined;
            }),
          );
          return statuses.every((status) => status === 'PROCESSED') ? true : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 500, what: 'four messages PROCESSED' },
      );
      expect((await runScript(stateDir, 'job.ts', ['load-warehouse'])).code).toBe(0);
      await eventually(
        async () => {
          const [row] = await sql(
            `SELECT COUNT(DISTINCT event_id) AS n FROM tributary.events WHERE site_id = '${cookielessSiteId}'`,
          );
          return Number(row?.n) >= 4 ? true : undefined;
        },
        { timeoutMs: 90_000, intervalMs: 2000, what: `four events of ${cookielessSiteId}` },
      );

      // The warehouse: one user id per browser, the same on both of the first's page loads.
      const users = await sql(
        `SELECT user_id, COUNT(DISTINCT event_id) AS events, COUNT(DISTINCT path) AS paths
         FROM tributary.events WHERE site_id = '${cookielessSiteId}' GROUP BY user_id ORDER BY events DESC`,
      );
      expect(users.map((u) => [Number(u.events), Number(u.paths)])).toEqual([
        [3, 2],
        [1, 1],
      ]);
      for (const user of users) expect(user.user_id).toMatch(/^vis_[A-Za-z0-9_-]{22}$/);

      const response = await fetch(`${info.apiUrl}/v1/stats?siteId=${cookielessSiteId}`, {
        headers: admin(),
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        totalViews: 3,
        uniqueUsers: 2,
        topPaths: [
          { path: '/shop/home', views: 2 },
          { path: '/shop/pricing', views: 1 },
        ],
      });
    }, 180_000);
  });
});
