import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openConsoleBrowser, signIn } from '../../scripts/lib/consoleBrowser.ts';
import { startQuietWorkspace, type QuietWorkspace } from '../../scripts/lib/quietWorkspace.ts';
import {
  openView,
  startConsoleStack,
  tableRows,
  unlabelledControls,
  type ConsoleStack,
} from '../support/consoleStack.ts';
import { eventually, postJson } from '../support/pipeline.ts';
import { TestReceiver } from '../support/receiver.ts';

type Endpoint = { id: string; url: string; enabled: boolean };
type Deliveries = {
  recent: { eventId: string; status: string }[];
  failures: { eventId: string; status: string }[];
};
type Source = {
  id: string;
  name: string | null;
  applications: string[];
  lagSeconds: Record<string, number>;
  lastSuccessAt: string | null;
  cursors: Record<string, { eventsFetched: number }>;
  credentials: { type: string };
};
type Key = { keyId: string; name: string; revoked: boolean };

/** The view finished loading; the warehouse may take seconds to open its file locally. */
async function viewLoaded(page: Page): Promise<void> {
  await expect
    .poll(() => page.locator('#status-line').textContent(), { timeout: 30_000 })
    .toMatch(/^Updated/);
}

/**
 * The console's management views in Debian's Chromium against `npm start`: webhook
 * endpoints, Workspace sources and API keys created, changed and removed from the page,
 * each change checked through the API; the keyboard, labels, and a phone's width.
 */
describe('the web console: webhook endpoints, sources, API keys', () => {
  let stack: ConsoleStack;
  let receiver: TestReceiver;
  let workspace: QuietWorkspace;

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    receiver.behave('/refusing', () => 400);
    workspace = await startQuietWorkspace();
    stack = await startConsoleStack('console-manage', {
      WEBHOOK_ENDPOINT_CACHE_SECONDS: '1',
      API_KEY_CACHE_SECONDS: '1',
      WORKSPACE_API_ROOT_URL: workspace.rootUrl,
      WORKSPACE_TOKEN_URL: workspace.tokenUrl,
    });
    // Deleting and revoking ask first; the test answers yes.
    stack.page.on('dialog', (dialog) => void dialog.accept());
  }, 180_000);

  afterAll(async () => {
    await stack?.close();
    await receiver?.close();
    await workspace?.close();
  });

  it('creates an endpoint (its secret shown once), disables, enables, rotates, replays and deletes it', async () => {
    const { page } = stack;
    await openView(stack, '#/webhooks');
    const form = page.locator('#endpoint-form');
    const url = receiver.url('/refusing');
    await form.getByLabel('URL').fill(url);
    await form.getByLabel('Event types').fill('thing.*, other.happened');
    await form.getByLabel('Description').fill('=CRM');
    await form.getByRole('button', { name: 'Create endpoint' }).click();
    const secret = page.locator('#endpoint-created [data-secret]');
    await secret.waitFor();
    expect(await secret.textContent()).toMatch(/^whsec_/);
    const { endpoints } = await stack.admin<{ endpoints: Endpoint[] }>('/v1/webhook-endpoints');
    const endpoint = endpoints.find((e) => e.url === url)!;
    expect(endpoint).toMatchObject({
      eventTypes: ['thing.*', 'other.happened'],
      description: '=CRM',
    });
    expect(JSON.stringify(endpoints)).not.toContain('whsec_');
    await page.locator(`#endpoints-table tr[data-endpoint-id="${endpoint.id}"]`).waitFor();
    // Dismissed, the secret is gone from the page.
    await page.locator('#endpoint-created').getByRole('button', { name: 'Done' }).click();
    expect(await page.content()).not.toContain('whsec_');

    // Two events it refuses: failures, newest first, as the API lists them.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    for (const n of [1, 2]) {
      const sent = await postJson(
        `${stack.info.ingestUrl}/v1/events`,
        { eventType: 'thing.happened', payload: { n } },
        { authorization: `Bearer ${stack.info.apiKey}` },
      );
      expect(sent.status).toBe(202);
    }
    const lists = await eventually(
      async () => {
        const answer = await stack.admin<Deliveries>(
          `/v1/webhook-endpoints/${endpoint.id}/deliveries`,
        );
        return answer.failures.length === 2 ? answer : undefined;
      },
      { what: 'two failed deliveries' },
    );
    await page.locator(`#endpoints-table tr[data-endpoint-id="${endpoint.id}"] a`).click();
    await expect.poll(() => page.url()).toContain(`#/webhooks/${endpoint.id}`);
    await page.locator('#endpoint-failures-table').waitFor();
    expect(await page.locator('#endpoint-facts').textContent()).toContain("'=CRM");
    const rows = (await tableRows(page, '#endpoint-failures-table')).map((r) => [r[0], r[2]]);
    expect(rows).toEqual(lists.failures.map((d) => [d.eventId.slice(0, 8), d.status]));
    expect((await tableRows(page, '#endpoint-recent-table')).map((r) => r[0])).toEqual(
      lists.recent.map((d) => d.eventId.slice(0, 8)),
    );

    const actions = page.locator('#endpoint-actions');
    await actions.getByRole('button', { name: 'Disable' }).click();
    await actions.getByRole('button', { name: 'Enable' }).waitFor();
    expect((await stack.admin<Endpoint>(`/v1/webhook-endpoints/${endpoint.id}`)).enabled).toBe(
      false,
    );
    await actions.getByRole('button', { name: 'Enable' }).click();
    await actions.getByRole('button', { name: 'Disable' }).waitFor();
    expect((await stack.admin<Endpoint>(`/v1/webhook-endpoints/${endpoint.id}`)).enabled).toBe(
      true,
    );

    await actions.getByRole('button', { name: 'Rotate secret' }).click();
    const rotated = page.locator('#endpoint-once [data-secret]');
    await rotated.waitFor();
    expect(await rotated.textContent()).toMatch(/^whsec_/);
    expect(
      (await stack.admin<{ secretRotation: unknown }>(`/v1/webhook-endpoints/${endpoint.id}`))
        .secretRotation,
    ).not.toBeNull();

    await page.getByRole('button', { name: 'Replay', exact: true }).click();
    await expect
      .poll(() => page.locator('#webhooks-message').textContent())
      .toContain('2 failed deliveries');

    await actions.getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => page.url()).toMatch(/#\/webhooks$/);
    const after = await stack.admin<{ endpoints: Endpoint[] }>('/v1/webhook-endpoints');
    expect(after.endpoints.map((e) => e.id)).not.toContain(endpoint.id);
  }, 60_000);

  it('creates sources from the form and from a JSON body of the other shape, polls one, shows its cursors', async () => {
    const { page } = stack;
    await openView(stack, '#/sources');
    const form = page.locator('#source-form');
    await form.getByLabel('Name').fill('Tenant A');
    // The credential type's choice ("OAuth client and refresh token") shares their words.
    await form.locator('[name=clientId]').fill('client-a');
    await form.locator('[name=clientSecret]').fill('secret-a');
    await form.locator('[name=refreshToken]').fill('refresh-a');
    await form.getByLabel('Applications').fill('admin, login');
    await form.getByRole('button', { name: 'Create source' }).click();
    await expect.poll(() => page.locator('#sources-message').textContent()).toContain('created');
    const { sources } = await stack.admin<{ sources: Source[] }>('/v1/sources');
    const tenant = sources.find((s) => s.name === 'Tenant A')!;
    expect(tenant).toMatchObject({
      applications: ['admin', 'login'],
      credentials: { type: 'oauth' },
    });
    // The secret typed in the form is not in the page once created.
    expect(await page.content()).not.toContain('secret-a');

    // The shape other Workspace-to-webhook services take, forwarding to a URL: its secret once.
    await page.getByLabel('a JSON body').check();
    const json = page.locator('#source-json');
    await json.getByLabel('Request body').fill(
      JSON.stringify({
        sourceType: 'google_workspace',
        credentials: { client_id: 'c', client_secret: 's', refresh_token: 'r' },
        callbackUrl: receiver.url('/workspace'),
        logFetchInterval: 30,
      }),
    );
    await json.getByRole('button', { name: 'Create source' }).click();
    const secret = page.locator('#source-created [data-secret]');
    await secret.waitFor();
    expect(await secret.textContent()).toMatch(/^whsec_/);
    await expect.poll(async () => (await tableRows(page, '#sources-table')).length).toBe(2);

    // A body that is wrong is refused with the field named.
    await json.getByLabel('Request body').fill('{"sourceType":"google_workspace"}');
    await json.getByRole('button', { name: 'Create source' }).click();
    await expect
      .poll(() => page.locator('#sources-message').textContent())
      .toContain('credentials');

    await page
      .locator(`#sources-table tr[data-source-id="${tenant.id}"]`)
      .getByRole('button', { name: 'Poll Tenant A now' })
      .click();
    await expect.poll(() => page.locator('#sources-message').textContent()).toContain('Polling');
    const polled = await eventually(
      async () => {
        const source = await stack.admin<Source>(`/v1/sources/${tenant.id}`);
        return source.lastSuccessAt && Object.keys(source.cursors).length === 2
          ? source
          : undefined;
      },
      { timeoutMs: 30_000, what: 'the first window of Tenant A' },
    );
    await openView(stack, `#/sources/${tenant.id}`);
    await page.locator('#source-cursors-table').waitFor();
    const cursors = await tableRows(page, '#source-cursors-table');
    expect(cursors.map((row) => [row[0], row[3], row[6]])).toEqual(
      polled.applications.map((application) => [
        application,
        `${polled.lagSeconds[application]! / 60} min`,
        String(polled.cursors[application]!.eventsFetched),
      ]),
    );
    expect(await page.locator('#source-gaps').textContent()).toContain('No gap');

    await page.locator('#source-actions').getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => page.url()).toMatch(/#\/sources$/);
    await stack.admin(`/v1/sources/${tenant.id}`, { expect: 404 });
  }, 60_000);

  it('creates a server key (shown once, with its snippet), which then sends, and revokes it', async () => {
    const { page } = stack;
    await openView(stack, '#/keys');
    await page.locator('#keys-table').waitFor();
    const form = page.locator('#key-form');
    await form.getByLabel('Name').fill('checkout');
    await form.getByLabel('Site').fill('shop');
    const sent = page.waitForRequest(
      (r) => r.url().endsWith('/v1/admin/api-keys') && r.method() === 'POST',
    );
    await form.getByRole('button', { name: 'Create key' }).click();
    // A server key's request names no origins.
    expect((await sent).postDataJSON()).toEqual({ name: 'checkout', siteId: 'shop' });
    const shownKey = page.locator('#key-created [data-secret]');
    await shownKey.waitFor();
    const key = (await shownKey.textContent())!;
    expect(key).toMatch(/^trb_/);
    const snippet = (await page.locator('#key-created .snippet').textContent())!;
    expect(snippet).toContain(`${stack.info.ingestUrl}/v1/events`);
    expect(snippet).toContain(`Bearer ${key}`);
    const { items } = await stack.admin<{ items: Key[] }>('/v1/admin/api-keys');
    const created = items.find((k) => k.name === 'checkout')!;
    await page.locator(`#keys-table tr[data-key-id="${created.keyId}"]`).waitFor();
    expect(JSON.stringify(items)).not.toContain(key);

    const send = () =>
      postJson(
        `${stack.info.ingestUrl}/v1/events`,
        { eventType: 'page.viewed', payload: {} },
        { authorization: `Bearer ${key}` },
      );
    expect((await send()).status).toBe(202);

    await page
      .locator(`#keys-table tr[data-key-id="${created.keyId}"]`)
      .getByRole('button', { name: 'Revoke checkout' })
      .click();
    await expect.poll(() => page.locator('#keys-message').textContent()).toContain('revoked');
    const revoked = await stack.admin<{ items: Key[] }>('/v1/admin/api-keys');
    expect(revoked.items.find((k) => k.keyId === created.keyId)?.revoked).toBe(true);
    await expect.poll(async () => (await send()).status, { timeout: 10_000 }).toBe(401);
    // Leaving the view forgets the key shown.
    await openView(stack, '#/overview');
    expect(await page.content()).not.toContain(key);
  });

  it('creates a browser key with its origins, shows its snippet once, and lists it as a browser key', async () => {
    const { page } = stack;
    await openView(stack, '#/keys');
    await page.locator('#keys-table').waitFor();
    const form = page.locator('#key-form');
    await form.getByLabel('Name').fill('storefront');
    await form.getByLabel('Allowed origins').fill('https://shop.example\nhttps://www.shop.example');
    const sent = page.waitForRequest(
      (r) => r.url().endsWith('/v1/admin/api-keys') && r.method() === 'POST',
    );
    await form.getByRole('button', { name: 'Create key' }).click();
    const request = await sent;
    const body = request.postDataJSON() as Record<string, unknown>;
    expect(body).toEqual({
      name: 'storefront',
      allowedOrigins: ['https://shop.example', 'https://www.shop.example'],
    });
    const response = await request.response();
    expect(response?.status()).toBe(201);
    const created = (await response!.json()) as { key: string; keyId: string; ingestUrl: string };
    // The snippet to paste, with this stack's ingest URL and the key, shown this once.
    await expect
      .poll(() => page.locator('#key-created .snippet').textContent())
      .toBe(
        `<script defer src="${stack.info.ingestUrl}/tracker.js" data-key="${created.key}"></script>`,
      );
    expect(created.ingestUrl).toBe(stack.info.ingestUrl);
    const row = page.locator(`#keys-table tr[data-key-id="${created.keyId}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain(
      'browser: https://shop.example, https://www.shop.example',
    );
    const { items } = await stack.admin<{ items: Key[] }>('/v1/admin/api-keys');
    expect(items.find((k) => k.keyId === created.keyId)).toMatchObject({
      browser: true,
      allowedOrigins: ['https://shop.example', 'https://www.shop.example'],
    });
    // A browser key cannot upload for anyone: the upload view leaves it out.
    await openView(stack, '#/uploads');
    const options = await page.locator('#upload-key option').allTextContents();
    expect(options.join('\n')).not.toContain('storefront');
  });

  it('is used with the keyboard: the panels are links, every control has a label', async () => {
    const { page } = stack;
    await openView(stack, '#/overview');
    await page.locator('#counts .count').first().waitFor();
    await page.locator('[data-nav="overview"]').focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Sites');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.url()).toContain('#/sites');
    await expect.poll(() => page.evaluate('document.activeElement.id')).toBe('sites-title');

    for (const panel of [
      'overview',
      'sites',
      'metrics',
      'uploads',
      'events',
      'webhooks',
      'sources',
      'keys',
    ]) {
      await openView(stack, `#/${panel}`);
      await page.locator(`#panel-${panel}`).waitFor();
      await expect
        .poll(() => page.locator('#status-line').textContent())
        .toMatch(/Updated|Could not/);
      const unlabelled = await unlabelledControls(page, panel);
      expect({ panel, unlabelled }).toEqual({ panel, unlabelled: [] });
    }
  });

  it('fits a phone: no view scrolls sideways, tables scroll in their own box; no console error', async () => {
    const phone = await openConsoleBrowser({ width: 390, height: 844 });
    try {
      await signIn(phone.page, stack.info.apiUrl, stack.info.adminToken);
      for (const panel of [
        'overview',
        'sites',
        'metrics',
        'uploads',
        'events',
        'webhooks',
        'sources',
        'keys',
      ]) {
        await phone.page.goto(`${stack.info.apiUrl}/console#/${panel}`);
        await viewLoaded(phone.page);
        const widths = await phone.page.evaluate<{ page: number; viewport: number }>(
          '({ page: document.documentElement.scrollWidth, viewport: document.documentElement.clientWidth })',
        );
        expect({ panel, fits: widths.page <= widths.viewport }).toEqual({ panel, fits: true });
      }
      expect(phone.errors).toEqual([]);
    } finally {
      await phone.close();
    }
    expect(stack.browser.errors).toEqual([]);
  });
});
