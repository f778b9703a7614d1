import type { ChildProcess } from 'node:child_process';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trackingEventId } from '../../functions/src/ingest/tracking/trackingMessageToEvent.ts';
import type { LocalStackInfo } from '../../scripts/lib/localStack.ts';
import { chromiumArgs, chromiumPath } from '../../scripts/lib/consoleBrowser.ts';
import { runScript, startNpmStart, stopNpmStart } from '../support/npmStart.ts';
import { startPageServer, type PageServer } from '../support/pageServer.ts';
import { eventually, postJson } from '../support/pipeline.ts';

type BrowserKey = { key: string; keyId: string; visitors: string };
type Message = { type: string; messageId: string; anonymousId?: string; userId?: string };
type Visitor = { context: BrowserContext; page: Page; sent: Message[]; answered: number[] };

/** What the page's scripts see (the tests are typed without the DOM library). */
type PageGlobals = {
  tributary: {
    track: (name: string, properties?: Record<string, unknown>) => void;
    identify: (userId: string) => void;
  };
  document: { cookie: string };
  localStorage: { length: number };
  sessionStorage: { length: number };
  indexedDB: { databases: () => Promise<unknown[]> };
};

const siteId = 'cookieless-shop';
const otherUserAgent =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15';

/** What the page keeps, as the page and the browser see it. */
async function kept(visitor: Visitor) {
  const inPage = await visitor.page.evaluate(async () => {
    const g = globalThis as unknown as PageGlobals;
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

/**
 * Our tracker with a cookieless browser key, in Debian's Chromium against `npm start`:
 * two page loads of one browser are one visitor, another browser at the same address is
 * another, and the page keeps nothing: no cookie, nothing in localStorage or
 * sessionStorage, no anonymousId sent.
 */
describe('visitors counted without cookies, in Chromium against the local stack', () => {
  let stack: ChildProcess;
  let stateDir: string;
  let info: LocalStackInfo;
  let site: PageServer;
  let browser: Browser;
  let key: BrowserKey;

  const admin = () => ({ authorization: `Bearer ${info.adminToken}` });

  beforeAll(async () => {
    const started = await startNpmStart('e2e-cookieless');
    stack = started.process;
    stateDir = started.stateDir;
    info = started.info;
    site = await startPageServer();
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
    const created = await postJson(
      `${info.apiUrl}/v1/admin/api-keys`,
      { name: siteId, siteId, allowedOrigins: [site.origin], visitors: 'cookieless' },
      admin(),
    );
    key = (await created.json()) as BrowserKey;
    if (created.status !== 201 || key.visitors !== 'cookieless')
      throw new Error(`cookieless key: ${created.status} ${JSON.stringify(key)}`);
    site.page(
      '/shop/',
      `<!doctype html><title>Shop</title>
<script defer src="${info.ingestUrl}/tracker.js" data-key="${key.key}" data-visitors="cookieless"></script>`,
    );
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    if (stack) await stopNpmStart(stack, stateDir);
  });

  /** A fresh profile whose messages to ingest, and the answers, are recorded. */
  async function newVisitor(userAgent?: string): Promise<Visitor> {
    const context = await browser.newContext(userAgent ? { userAgent } : {});
    const visitor: Visitor = { context, page: await context.newPage(), sent: [], answered: [] };
    context.on('request', (request) => {
      if (!request.url().startsWith(info.ingestUrl) || request.method() !== 'POST') return;
      const body = JSON.parse(request.postDataBuffer()?.toString('utf8') ?? '{}') as {
        batch?: Message[];
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

  async function load(visitor: Visitor, path: string, answers: number): Promise<void> {
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

  it('counts two page loads of one browser as one visitor, another browser as a second, and keeps nothing in the page', async () => {
    const first = await newVisitor();
    await load(first, '/shop/home', 1);
    await load(first, '/shop/pricing', 2);
    await first.page.evaluate(() =>
      (globalThis as unknown as PageGlobals).tributary.track('Added To Cart', { sku: 'a-1' }),
    );
    await eventually(async () => (first.answered.length >= 3 ? true : undefined), {
      what: 'the track call answered',
    });

    const second = await newVisitor(otherUserAgent);
    await load(second, '/shop/home', 1);

    for (const visitor of [first, second]) {
      expect(visitor.answered.every((status) => status === 200)).toBe(true);
      // No id of the browser's own: ingest derives the visitor's.
      expect(visitor.sent.length).toBeGreaterThan(0);
      expect(visitor.sent.filter((m) => 'anonymousId' in m || 'userId' in m)).toEqual([]);
      expect(await kept(visitor)).toEqual({
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
          `SELECT COUNT(DISTINCT event_id) AS n FROM tributary.events WHERE site_id = '${siteId}'`,
        );
        return Number(row?.n) >= 4 ? true : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 2000, what: `four events of ${siteId}` },
    );

    // The warehouse: one user id per browser, the same on both of the first's page loads.
    const users = await sql(
      `SELECT user_id, COUNT(DISTINCT event_id) AS events, COUNT(DISTINCT path) AS paths
       FROM tributary.events WHERE site_id = '${siteId}' GROUP BY user_id ORDER BY events DESC`,
    );
    expect(users.map((u) => [Number(u.events), Number(u.paths)])).toEqual([
      [3, 2],
      [1, 1],
    ]);
    for (const user of users) expect(user.user_id).toMatch(/^vis_[A-Za-z0-9_-]{22}$/);

    const response = await fetch(`${info.apiUrl}/v1/stats?siteId=${siteId}`, {
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
