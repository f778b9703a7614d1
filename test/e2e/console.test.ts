import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleContentSecurityPolicy } from '../../functions/src/admin/consoleRoutes.ts';
import { projectRoot } from '../../scripts/lib/localStack.ts';
import { seedFailedEvent } from '../support/failedEvents.ts';
import {
  postJson,
  startTestPipeline,
  waitForStatus,
  type TestPipeline,
} from '../support/pipeline.ts';

const artifacts = join(projectRoot, 'test', 'artifacts');
// Never called: the console only lists the endpoint.
const webhookUrl = 'http://127.0.0.1:9/orders';

const formulaName = '=HYPERLINK("http://x","y")';

/** The web console in Debian's headless Chromium, driven by playwright-core (no browser download). */
describe('the web console', () => {
  let pipeline: TestPipeline;
  let browser: BrowserContext;
  let page: Page;
  let profile: string;
  const errors: string[] = [];
  let deadId: string;

  beforeAll(async () => {
    pipeline = await startTestPipeline({ label: 'console' });
    // Some processed traffic for the overview, and one dead letter to replay.
    for (const title of ['Home', 'Cart', 'Checkout']) {
      const response = await postJson(
        `${pipeline.urls.ingest}/v1/events`,
        { eventType: 'page.viewed', payload: { title } },
        { authorization: `Bearer ${pipeline.apiKey}` },
      );
      const { eventId } = (await response.json()) as { eventId: string };
      await waitForStatus(pipeline, eventId, 'PROCESSED');
    }
    const endpoint = await postJson(
      `${pipeline.urls.api}/v1/webhook-endpoints`,
      { url: webhookUrl, eventTypes: ['order.*'] },
      { authorization: `Bearer ${pipeline.adminToken}` },
    );
    if (endpoint.status !== 201) throw new Error(`webhook endpoint: ${endpoint.status}`);
    // A name a spreadsheet would run as a formula; nothing polls it here.
    const source = await postJson(
      `${pipeline.urls.api}/v1/sources`,
      {
        sourceType: 'google_workspace',
        name: formulaName,
        credentials: { client_id: 'id', client_secret: 'secret', refresh_token: 'rt' },
      },
      { authorization: `Bearer ${pipeline.adminToken}` },
    );
    if (source.status !== 201) throw new Error(`source: ${source.status}`);
    deadId = (
      await seedFailedEvent(pipeline, {
        status: 'DEAD_LETTER',
        envelope: { eventType: 'order.placed' },
      })
    ).eventId;

    profile = await mkdtemp(join(tmpdir(), 'tributary-chromium-'));
    await mkdir(artifacts, { recursive: true });
    // A fresh profile per run (Playwright passes it to Chromium as --user-data-dir).
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      viewport: { width: 1280, height: 1100 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    // Script errors and CSP violations; answers like 401 and 404 are expected here.
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
        errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await pipeline?.close();
    await rm(profile, { recursive: true, force: true });
  });

  it('is served with a strict Content-Security-Policy', async () => {
    const response = await fetch(`${pipeline.urls.api}/console`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toBe(consoleContentSecurityPolicy);
    expect(consoleContentSecurityPolicy).toContain("script-src 'self'");
    expect(consoleContentSecurityPolicy).not.toContain('unsafe');
  });

  it('asks for the token, refuses a wrong one, then shows the overview and the failed event', async () => {
    await page.goto(`${pipeline.urls.api}/console`);
    await page.locator('#token').fill('not-the-token');
    await page.locator('#token-form button').click();
    await expect.poll(() => page.locator('#sign-in-error').textContent()).toContain('not accepted');

    await page.locator('#token').fill(pipeline.adminToken);
    await page.locator('#token-form button').click();
    await page.locator('#app').waitFor({ state: 'visible' });
    await expect.poll(() => page.locator('[data-count="PROCESSED"] .n').textContent()).toBe('3');
    await expect.poll(() => page.locator('[data-count="DEAD_LETTER"] .n').textContent()).toBe('1');
    const row = page.locator(`tr[data-event-id="${deadId}"]`);
    await row.waitFor();
    expect(await row.locator('[data-status]').getAttribute('data-status')).toBe('DEAD_LETTER');
    await expect.poll(() => page.locator('#throughput rect').count()).toBe(24);
    // The source's formula-looking name is shown as text; the webhook endpoint is listed.
    await expect.poll(() => page.locator('#sources').textContent()).toContain(`'${formulaName}`);
    await expect.poll(() => page.locator('#webhooks').textContent()).toContain(webhookUrl);
    // The token lives in this tab's session storage only.
    expect(await page.evaluate(() => sessionStorage.getItem('tributary.adminToken'))).toBe(
      pipeline.adminToken,
    );
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
  });

  it('shows the event with its history', async () => {
    await page.locator(`tr[data-event-id="${deadId}"] a`).click();
    await page.locator('#detail').waitFor({ state: 'visible' });
    expect(await page.locator('#detail-id').textContent()).toBe(deadId);
    expect(await page.locator('#detail-history [data-status]').count()).toBe(2);
  });

  it('replays the failed event and sees it PROCESSED, and saves a screenshot', async () => {
    const row = page.locator(`tr[data-event-id="${deadId}"]`);
    await row.locator('button.replay').click();
    await expect
      .poll(() => row.locator('[data-status]').getAttribute('data-status'), { timeout: 30_000 })
      .toBe('PROCESSED');
    await waitForStatus(pipeline, deadId, 'PROCESSED');
    await expect.poll(() => page.locator('[data-count="PROCESSED"] .n').textContent()).toBe('4');
    await page.locator('#detail-close').click();
    await page.screenshot({ path: join(artifacts, 'console.png'), fullPage: true });
    expect(errors).toEqual([]);
  }, 60_000);
});
