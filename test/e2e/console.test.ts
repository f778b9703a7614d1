import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleContentSecurityPolicy } from '../../functions/src/admin/consoleRoutes.ts';
import { addDays, utcDay } from '../../functions/src/metrics/dates.ts';
import { apiCallsOf, measureLoad } from '../../scripts/lib/consoleBrowser.ts';
import { projectRoot } from '../../scripts/lib/localStack.ts';
import {
  openView,
  shown,
  startConsoleStack,
  tableRows,
  waitForWarehouse,
  type ConsoleStack,
} from '../support/consoleStack.ts';
import { seedFailedEvent } from '../support/failedEvents.ts';
import { eventually, postJson } from '../support/pipeline.ts';
import { TestReceiver } from '../support/receiver.ts';

const artifacts = join(projectRoot, 'test', 'artifacts');
const formulaSite = '=cmd|calc';
/** The first load of the console, everything it fetches to show the overview included. */
const firstLoadBudgetBytes = 150_000;
const apiCallsBudget = 2;

const at = (day: string, hour: number) => `${day}T${String(hour).padStart(2, '0')}:00:00Z`;
const pageView = (siteId: string, day: string, userId: string, path: string) => ({
  eventType: 'page.viewed',
  payload: { title: path },
  siteId,
  userId,
  path,
  occurredAt: at(day, 0),
});

type Stats = {
  totalViews: number;
  uniqueUsers: number;
  topPaths: { path: string; views: number }[];
  days: { date: string; totalViews: number; uniqueUsers: number }[];
};
type Sites = { sites: { siteId: string; views: number; events: number; lastSeen: string }[] };
type Metrics = { data: { date: string; metrics: { eventType: string; count: number }[] }[] };

/**
 * The console's data views in Debian's Chromium against `npm start`: each shows what the
 * API answers for the same data, from a URL of its own, within its budgets.
 */
describe('the web console: overview, sites, metrics, uploads, events', () => {
  let stack: ConsoleStack;
  let receiver: TestReceiver;
  let deadId: string;
  let orderId: string;
  let endpointId: string;
  const today = utcDay(new Date());
  const days = [addDays(today, -2), addDays(today, -1), today];

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    // The first delivery fails, the second is taken: an event with two attempts.
    receiver.behave('/orders', (nth) => (nth === 1 ? 503 : 200));
    stack = await startConsoleStack('console', { WEBHOOK_ENDPOINT_CACHE_SECONDS: '1' });
    const endpoint = await stack.admin<{ id: string }>('/v1/webhook-endpoints', {
      method: 'POST',
      body: { url: receiver.url('/orders'), eventTypes: ['order.*'] },
      expect: 201,
    });
    endpointId = endpoint.id;
    await new Promise((resolve) => setTimeout(resolve, 1500));

    const events = [
      ...['u1', 'u2', 'u3', 'u1', 'u2'].map((u, i) =>
        pageView('shop', today, u, i % 2 ? '/pricing' : '/'),
      ),
      ...['u1', 'u4', 'u4'].map((u) => pageView('shop', days[1]!, u, '/cart')),
      ...['u5', 'u6'].map((u) => pageView('shop', days[0]!, u, '/')),
      ...['u1', 'u2'].map((u) => pageView('blog', today, u, '/posts/launch')),
      pageView(formulaSite, today, 'u9', '/=SUM(A1)'),
      ...[1, 2, 3].map((n) => ({
        eventType: 'order.placed',
        payload: { n },
        occurredAt: at(today, 0),
      })),
      ...[1, 2].map((n) => ({
        eventType: 'signup.completed',
        payload: { n },
        occurredAt: at(days[1]!, 1),
      })),
    ];
    const response = await postJson(
      `${stack.info.ingestUrl}/v1/events/batch`,
      { events },
      { authorization: `Bearer ${stack.info.apiKey}` },
    );
    if (response.status !== 202) throw new Error(`seeding: ${response.status}`);
    const { results } = (await response.json()) as { results: { eventId: string }[] };
    orderId = results[events.findIndex((e) => e.eventType === 'order.placed')]!.eventId;
    deadId = (
      await seedFailedEvent(stack, {
        status: 'DEAD_LETTER',
        envelope: { eventType: 'order.placed' },
      })
    ).eventId;
    await waitForWarehouse(stack, days[0]!, today, events.length);
    await eventually(
      async () =>
        receiver.received('/orders').filter((r) => r.status === 200).length >= 3 ? true : undefined,
      { what: 'the orders delivered' },
    );
  }, 240_000);

  afterAll(async () => {
    await stack?.close();
    await receiver?.close();
  });

  it('is served with a strict Content-Security-Policy, uPlot from its own origin', async () => {
    for (const path of [
      '/console',
      '/console/app.js',
      '/console/uplot.min.js',
      '/console/uplot.min.css',
    ]) {
      const response = await fetch(`${stack.info.apiUrl}${path}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-security-policy')).toBe(consoleContentSecurityPolicy);
    }
    expect(consoleContentSecurityPolicy).toContain("script-src 'self'");
    expect(consoleContentSecurityPolicy).toContain("style-src 'self'");
    expect(consoleContentSecurityPolicy).not.toContain('unsafe');
  });

  it('asks for the token, refuses a wrong one, then shows the overview as the API answers it', async () => {
    const { page } = stack;
    await page.goto(`${stack.info.apiUrl}/console`);
    await page.locator('#token').fill('not-the-token');
    await page.locator('#token-form button').click();
    await expect.poll(() => page.locator('#sign-in-error').textContent()).toContain('not accepted');

    await page.getByLabel('Admin token').fill(stack.info.adminToken);
    await page.getByRole('button', { name: 'Open console' }).click();
    await page.locator('#counts .count').first().waitFor();
    const summary = await stack.admin<{
      byStatus: Record<string, number>;
      byType: { types: { eventType: string; count: number }[] };
    }>('/v1/admin/metrics/summary?hours=24');
    for (const status of ['PROCESSED', 'DEAD_LETTER', 'FAILED', 'QUEUED']) {
      expect(await page.locator(`[data-count="${status}"] .n`).textContent()).toBe(
        shown(summary.byStatus[status] ?? 0),
      );
    }
    expect(await tableRows(page, '#by-type')).toEqual(
      summary.byType.types.map((t) => [t.eventType, shown(t.count)]),
    );
    // The hourly chart is uPlot's canvas, one slot per hour.
    await page.locator('#throughput canvas').waitFor();
    expect(await page.locator('#throughput').getAttribute('data-points')).toBe('24');
    const row = page.locator(`tr[data-event-id="${deadId}"]`);
    expect(await row.locator('[data-status]').getAttribute('data-status')).toBe('DEAD_LETTER');
    expect(await page.evaluate(() => sessionStorage.getItem('tributary.adminToken'))).toBe(
      stack.info.adminToken,
    );
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
  });

  it('shows the sites seen and one site per day, with totals and top paths, as the API answers', async () => {
    const { page } = stack;
    const from = addDays(today, -6);
    await openView(stack, '#/sites?range=7d');
    await page.locator('#site-days-table').waitFor();
    const seen = await stack.admin<Sites>(`/v1/sites?from=${from}&to=${today}`);
    expect(seen.sites.map((s) => s.siteId)).toEqual(['shop', 'blog', formulaSite]);
    // A formula-looking site id is shown with a leading ', so a copy into a sheet stays text.
    expect(await tableRows(page, '#sites-table')).toEqual(
      seen.sites.map((s) => [
        s.siteId.startsWith('=') ? `'${s.siteId}` : s.siteId,
        shown(s.views),
        shown(s.events),
        s.lastSeen,
      ]),
    );
    await expectSite('shop', from, today);

    // Another site from the list: its own URL, which a reload shows again.
    await page.locator(`[data-site="${formulaSite}"] a`).click();
    await expect.poll(() => page.url()).toContain(`site=${encodeURIComponent(formulaSite)}`);
    await expect.poll(() => page.locator('#site-name').textContent()).toBe(`'${formulaSite}`);
    await expectSite(formulaSite, from, today);
    await page.reload();
    await page.locator('#site-days-table').waitFor();
    await expectSite(formulaSite, from, today);

    // Two dates of the operator's choosing.
    const panel = page.locator('#panel-sites');
    await panel.getByLabel('Days').selectOption('custom');
    await panel.getByLabel('From', { exact: true }).fill(days[0]!);
    await panel.getByLabel('To', { exact: true }).fill(days[1]!);
    await panel.getByRole('button', { name: 'Show' }).click();
    await expect.poll(() => page.url()).toContain(`range=custom&from=${days[0]}&to=${days[1]}`);
    await expect.poll(async () => (await tableRows(page, '#site-days-table')).length).toBe(2);
    await expectSite(formulaSite, days[0]!, days[1]!);
  });

  async function expectSite(siteId: string, from: string, to: string): Promise<void> {
    const { page } = stack;
    const stats = await stack.admin<Stats>(
      `/v1/stats?siteId=${encodeURIComponent(siteId)}&from=${from}&to=${to}`,
    );
    await expect
      .poll(() => tableRows(page, '#site-days-table'))
      .toEqual(stats.days.map((d) => [d.date, shown(d.totalViews), shown(d.uniqueUsers)]));
    expect(await page.locator('[data-total="views"] .n').textContent()).toBe(
      shown(stats.totalViews),
    );
    expect(await page.locator('[data-total="visitors"] .n').textContent()).toBe(
      shown(stats.uniqueUsers),
    );
    expect(await tableRows(page, '#site-paths-table')).toEqual(
      stats.topPaths.map((p) => [p.path.startsWith('=') ? `'${p.path}` : p.path, shown(p.views)]),
    );
    await page.locator('#site-chart canvas').waitFor();
  }

  it('shows daily metrics by type as the API answers, and narrows them to one type', async () => {
    const { page } = stack;
    const from = addDays(today, -6);
    await openView(stack, '#/metrics?range=7d');
    await page.locator('#metrics-days-table').waitFor();
    const all = await stack.admin<Metrics>(`/v1/metrics?from=${from}&to=${today}`);
    const header = await page.locator('#metrics-days-table thead th').allTextContents();
    const types = header.slice(1);
    expect(types.sort()).toEqual(
      [...new Set(all.data.flatMap((d) => d.metrics.map((m) => m.eventType)))].sort(),
    );
    const columns = header.slice(1);
    expect(await tableRows(page, '#metrics-days-table')).toEqual(
      all.data.map((d) => [
        d.date,
        ...columns.map((t) => shown(d.metrics.find((m) => m.eventType === t)?.count ?? 0)),
      ]),
    );

    await page.locator('#panel-metrics').getByLabel('Event type').selectOption('order.placed');
    await expect.poll(() => page.url()).toContain('type=order.placed');
    const one = await stack.admin<Metrics>(
      `/v1/metrics?from=${from}&to=${today}&eventType=order.placed`,
    );
    await expect
      .poll(() => tableRows(page, '#metrics-days-table'))
      .toEqual(one.data.map((d) => [d.date, shown(d.metrics[0]!.count)]));
    await page.reload();
    await page.locator('#metrics-days-table').waitFor();
    expect(await page.locator('#metrics-days-table thead th').allTextContents()).toEqual([
      'Day',
      'order.placed',
    ]);
  });

  it('uploads a CSV from the file chooser with progress, then shows its counts and every failed row', async () => {
    const { page } = stack;
    await openView(stack, '#/uploads');
    await page.locator('#upload-key option').first().waitFor({ state: 'attached' });
    const keys = await stack.admin<{ items: { keyId: string; name: string }[] }>(
      '/v1/admin/api-keys',
    );
    const local = keys.items.find((k) => k.name === 'local')!;
    await page.getByLabel("API key (the events are this key's)").selectOption(local.keyId);
    const csv = [
      'event_id,Event Type,timestamp,user_id,note',
      'c-1,test_started,2026-01-05T10:00:00Z,u-1,"=HYPERLINK(""x"")"',
      'c-2,Not A Type,2026-01-05T10:05:00Z,u-1,',
      'c-3,test_completed,yesterday,u-2,',
      'c-4,test_completed,2026-01-05T10:09:00Z,u-2,',
    ].join('\r\n');
    await page
      .getByLabel('Choose a CSV file, or drop one here')
      .setInputFiles({ name: 'scores.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: 'Upload' }).click();
    const outcome = page.locator('#upload-result .outcome');
    await outcome.waitFor();
    expect(await page.locator('#upload-progress').getAttribute('value')).toBe('100');
    const batchId = (await outcome.getAttribute('data-batch-id'))!;
    const record = await stack.admin<{
      keyId: string;
      rows: number;
      insertedCount: number;
      failedCount: number;
      errors: { row: number; field: string; message: string }[];
    }>(`/v1/admin/uploads/${batchId}`);
    expect(record).toMatchObject({ keyId: local.keyId, rows: 4, insertedCount: 2, failedCount: 2 });
    for (const [key, value] of [
      ['rows', record.rows],
      ['inserted', record.insertedCount],
      ['failed', record.failedCount],
    ] as const) {
      expect(await outcome.locator(`[data-count="${key}"] .n`).textContent()).toBe(shown(value));
    }
    const failedRows = record.errors.map((e) => [String(e.row), e.field, e.message]);
    expect(failedRows.map((r) => r[0])).toEqual(['3', '4']);
    expect(await tableRows(page, '#upload-result #upload-errors')).toEqual(failedRows);

    // A file dropped on the box goes the same way.
    // The page's own DataTransfer and File (this file is typed without the DOM's names).
    const dropped = await page.evaluateHandle(`(() => {
      const transfer = new DataTransfer();
      const rows = 'event_id,eventType,occurredAt\\nd-1,test_started,2026-01-06T10:00:00Z\\n';
      transfer.items.add(new File([rows], 'dropped.csv', { type: 'text/csv' }));
      return transfer;
    })()`);
    await page.dispatchEvent('#upload-drop', 'drop', { dataTransfer: dropped });
    await expect
      .poll(() => page.locator('#upload-file-name').textContent())
      .toContain('dropped.csv');
    await page.getByRole('button', { name: 'Upload' }).click();
    await expect
      .poll(() => page.locator('#upload-result .outcome').getAttribute('data-batch-id'))
      .not.toBe(batchId);
    expect(await page.locator('#upload-result [data-count="inserted"] .n').textContent()).toBe('1');

    // Listed with the earlier uploads; its own view shows the same record.
    await page.locator(`#uploads-table tr[data-batch-id="${batchId}"] a`).waitFor();
    await page.locator(`#uploads-table tr[data-batch-id="${batchId}"] a`).click();
    await expect.poll(() => page.url()).toContain(`#/uploads/${batchId}`);
    await expect.poll(() => tableRows(page, '#upload-detail #upload-errors')).toEqual(failedRows);
  });

  it('looks an event up: its status, payload and deliveries with every attempt, as the API answers', async () => {
    const { page } = stack;
    await openView(stack, '#/events');
    await page.locator('#panel-events').getByLabel('Event id').fill(orderId);
    await page.getByRole('button', { name: 'Look up' }).click();
    await expect.poll(() => page.url()).toContain(`#/events/${orderId}`);
    const event = await stack.admin<{
      status: string;
      payload: unknown;
      deliveries: { endpointId: string; attempts: { statusCode: number; outcome: string }[] }[];
    }>(`/v1/events/${orderId}`);
    await page.locator('#event-deliveries .delivery').waitFor();
    expect(await page.locator('#event-facts [data-status]').getAttribute('data-status')).toBe(
      event.status,
    );
    expect(await page.locator('#event-payload').textContent()).toBe(
      JSON.stringify(event.payload, null, 2),
    );
    const delivery = event.deliveries.find((d) => d.endpointId === endpointId)!;
    const attempts = await tableRows(
      page,
      `.delivery[data-endpoint-id="${endpointId}"] table.attempts`,
    );
    expect(attempts.map((a) => [a[1], a[3]])).toEqual(
      delivery.attempts.map((a) => [String(a.statusCode), a.outcome]),
    );
  });

  it('replays the dead-lettered event from the overview and follows it to PROCESSED', async () => {
    const { page } = stack;
    await openView(stack, `#/events/${deadId}`);
    await page.locator('#event-history-table').waitFor();
    expect(await page.locator('#event-history-table [data-status]').count()).toBe(2);
    await openView(stack, '#/overview');
    const row = page.locator(`tr[data-event-id="${deadId}"]`);
    await row.getByRole('button', { name: `Replay event ${deadId}` }).click();
    await expect
      .poll(() => row.locator('[data-status]').getAttribute('data-status'), { timeout: 30_000 })
      .toBe('PROCESSED');
  }, 60_000);

  it(`loads in under ${firstLoadBudgetBytes / 1000} KB, and no view makes more than ${apiCallsBudget} API calls`, async () => {
    const { page } = stack;
    const first = await measureLoad(page, `${stack.info.apiUrl}/console#/overview`, () =>
      page.locator('#throughput canvas').waitFor(),
    );
    const views: [string, string][] = [
      ['#/sites?range=30d', '#site-days-table'],
      ['#/metrics?range=30d', '#metrics-days-table'],
      ['#/uploads', '#uploads-table'],
      ['#/events/' + orderId, '#event-deliveries .delivery'],
      ['#/webhooks', '#endpoints-table'],
      ['#/webhooks/' + endpointId, '#endpoint-recent-table'],
      ['#/sources', '#sources-list p, #sources-table'],
      ['#/keys', '#keys-table'],
      ['#/overview', '#counts .count'],
    ];
    const calls: Record<string, string[]> = { '#/overview (first load)': first.apiCalls };
    for (const [hash, ready] of views) {
      calls[hash.replace(/[0-9a-f-]{36}|ep_[\w-]{22}/, '<id>')] = await apiCallsOf(page, hash, () =>
        page
          .locator(`#app ${ready.split(', ').join(', #app ')}`)
          .first()
          .waitFor(),
      );
    }
    const report = {
      firstLoad: {
        bytes: first.bytes,
        requests: first.requests,
        budgetBytes: firstLoadBudgetBytes,
      },
      apiCallsPerView: Object.fromEntries(
        Object.entries(calls).map(([view, c]) => [view, c.length]),
      ),
      calls,
    };
    await mkdir(artifacts, { recursive: true });
    await writeFile(join(artifacts, 'console-budget.json'), `${JSON.stringify(report, null, 2)}\n`);
    console.log(
      `console: first load ${first.bytes} bytes in ${first.requests} requests; API calls per view ${JSON.stringify(report.apiCallsPerView)}`,
    );
    expect(first.bytes).toBeLessThan(firstLoadBudgetBytes);
    // Every view reads the API, and none more than twice.
    expect(
      Object.entries(calls).filter(([, made]) => made.length === 0 || made.length > apiCallsBudget),
    ).toEqual([]);
  }, 90_000);

  it('reported no script error and no policy violation, and saves a screenshot', async () => {
    await openView(stack, '#/overview');
    await stack.page.locator('#throughput canvas').waitFor();
    await mkdir(artifacts, { recursive: true });
    await stack.page.screenshot({ path: join(artifacts, 'console.png'), fullPage: true });
    expect(stack.browser.errors).toEqual([]);
  });
});
