import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, utcDay } from '../../functions/src/metrics/dates.ts';
import { apiCallsOf } from '../../scripts/lib/consoleBrowser.ts';
import {
  hashShown,
  openView,
  shown,
  startConsoleStack,
  tableRows,
  unlabelledControls,
  viewsWiderThanAPhone,
  type ConsoleStack,
} from '../support/consoleStack.ts';
import { eventually, postJson } from '../support/pipeline.ts';

type Receipt = {
  store: string;
  searched: string;
  removed: number;
  at: string;
  error: string | null;
};
type Regulation = {
  regulationId: string;
  type: string;
  subjectKind: string;
  subjectCount: number;
  status: string;
  receipts: Receipt[];
  error: string | null;
};
type Suppressed = {
  day: string;
  suppressedEvents: number;
  suppressedSubjects: number;
  staleSeconds: number;
};
type ApiRefusal = { error: { message: string; fields: { field: string; message: string }[] } };
/** What the page holds that could keep a subject: field values, storage, the URL, the markup. */
type Kept = { values: string[]; storage: string[]; url: string; html: string };

const regulations = '/v1/admin/regulations';

/**
 * The console's privacy view in Debian's Chromium against `npm start`: a person's order
 * processed, then a SUPPRESS_WITH_DELETE regulation of their userId filed through the
 * form (an empty subject list refused first with the API's message), followed to
 * FINISHED with a receipt per store, and their next event counted as suppressed; the
 * subject is never left in the page, its URL or its storage.
 */
describe('the web console: privacy', () => {
  let stack: ConsoleStack;
  const today = utcDay(new Date());
  const person = `forget-me-${randomUUID()}@example.com`;
  let regulationId = '';

  const sendOrder = async (userId: string): Promise<string> => {
    const response = await postJson(
      `${stack.info.ingestUrl}/v1/events`,
      { eventType: 'order.completed', userId, payload: {} },
      { authorization: `Bearer ${stack.info.apiKey}` },
    );
    if (response.status !== 202) throw new Error(`sending: ${response.status}`);
    return ((await response.json()) as { eventId: string }).eventId;
  };
  const suppressed = (day = today) =>
    stack.admin<Suppressed>(`/v1/admin/privacy/suppressed?day=${day}`);
  /** Everything in the page that could still hold the subject. */
  const keptInPage = () =>
    stack.page.evaluate<Kept>(`({
      values: [...document.querySelectorAll('input, textarea, select')].map((c) => c.value),
      storage: [localStorage, sessionStorage].flatMap((s) =>
        Object.keys(s).flatMap((k) => [k, s.getItem(k) ?? ''])),
      url: location.href,
      html: document.documentElement.outerHTML,
    })`);

  beforeAll(async () => {
    // Every instance reads the suppression list again each second, so the worker sweeps
    // about 6 s after listing instead of 25.
    stack = await startConsoleStack('console-privacy', { PRIVACY_LIST_CACHE_SECONDS: '1' });
    const orderId = await sendOrder(person);
    await eventually(
      async () => {
        const event = await stack
          .admin<{ status: string }>(`/v1/events/${orderId}`)
          .catch(() => undefined);
        return event?.status === 'PROCESSED' ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: "the person's order processed" },
    );
  }, 180_000);

  afterAll(async () => {
    await stack?.close();
  });

  it("refuses an empty subject list with the API's message and the field it names", async () => {
    const { page } = stack;
    await openView(stack, '#/privacy');
    const form = page.locator('#regulation-form');
    await form.getByLabel('Subjects (one per line').fill('  \n\n');
    const refused = page.waitForResponse(
      (r) => r.url().endsWith(regulations) && r.request().method() === 'POST',
    );
    await form.getByRole('button', { name: 'File regulation' }).click();
    const response = await refused;
    expect(response.status()).toBe(400);
    expect(response.request().postDataJSON()).toEqual({
      type: 'SUPPRESS_WITH_DELETE',
      subjectKind: 'userId',
      subjects: [],
    });
    const { error } = (await response.json()) as ApiRefusal;
    expect(error.fields.map((f) => f.field)).toEqual(['subjects']);
    const message = page.locator('#privacy-message [role=alert]');
    await expect.poll(() => message.textContent()).toContain('Not filed');
    expect(await message.textContent()).toBe(
      `Not filed: ${error.message} (subjects: ${error.fields[0]!.message})`,
    );
    expect(await form.locator('textarea[name=subjects]').getAttribute('aria-invalid')).toBe('true');
    expect((await stack.admin<{ items: Regulation[] }>(regulations)).items).toEqual([]);
  });

  it('files SUPPRESS_WITH_DELETE for a userId, keeps no subject, and follows it to FINISHED with its receipts', async () => {
    const { page } = stack;
    await openView(stack, '#/privacy');
    const form = page.locator('#regulation-form');
    await form.getByLabel('Regulation').selectOption('SUPPRESS_WITH_DELETE');
    await form.getByLabel('Subjects are').selectOption('userId');
    await form.getByLabel('Subjects (one per line').fill(`${person}\n`);
    const requested: string[] = [];
    const onRequest = (request: { url: () => string }) => requested.push(request.url());
    page.on('request', onRequest);
    const filed = page.waitForResponse(
      (r) => r.url().endsWith(regulations) && r.request().method() === 'POST',
    );
    await form.getByRole('button', { name: 'File regulation' }).click();
    const response = await filed;
    expect(response.status()).toBe(202);
    expect(response.request().postDataJSON()).toEqual({
      type: 'SUPPRESS_WITH_DELETE',
      subjectKind: 'userId',
      subjects: [person],
    });
    regulationId = ((await response.json()) as Regulation).regulationId;

    // Its own view, refreshing while it works; the subject is nowhere in the page.
    await expect.poll(() => page.url()).toContain(`#/privacy/${regulationId}`);
    await page.locator(`#regulation-facts [data-regulation-id="${regulationId}"]`).waitFor();
    await expect
      .poll(() => page.locator('#privacy-message').textContent())
      .toBe('Filed: SUPPRESS_WITH_DELETE of 1 userId. The subjects are not kept in this page.');
    const kept = await keptInPage();
    expect(kept.values.filter((v) => v.includes(person))).toEqual([]);
    expect(kept.storage.filter((v) => v.includes(person))).toEqual([]);
    expect(kept.url).not.toContain(person);
    expect(kept.url).not.toContain(encodeURIComponent(person));
    expect(kept.html).not.toContain(person);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    expect(await page.locator('#regulation-form textarea[name=subjects]').inputValue()).toBe('');

    await page
      .locator(`#regulation-facts [data-regulation-id="${regulationId}"][data-status="FINISHED"]`)
      .waitFor({ timeout: 60_000 });
    page.off('request', onRequest);
    // Only the POST's body held the subject: no request named it in its URL.
    expect(
      requested.filter((url) => url.includes(person) || url.includes(encodeURIComponent(person))),
    ).toEqual([]);
    expect(
      requested.filter((url) => url.includes(`${regulations}/${regulationId}`)).length,
    ).toBeGreaterThan(1);

    const regulation = await stack.admin<Regulation>(`${regulations}/${regulationId}`);
    expect(regulation).toMatchObject({ status: 'FINISHED', subjectCount: 1, error: null });
    // A receipt per store, in the order the worker wrote them; the person's order erased.
    expect(regulation.receipts.map((r) => r.store)).toEqual(
      expect.arrayContaining(['suppressionList', 'events', 'warehouse']),
    );
    expect(regulation.receipts.find((r) => r.store === 'events')!.removed).toBeGreaterThan(0);
    expect(
      await page
        .locator('#regulation-receipts-table tbody tr')
        .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-store'))),
    ).toEqual(regulation.receipts.map((r) => r.store));
    const rows = await tableRows(page, '#regulation-receipts-table');
    expect(rows.map((r) => [r[1], r[2], r[4]])).toEqual(
      regulation.receipts.map((r) => [r.searched, shown(r.removed), r.error ?? '—']),
    );
    expect(await page.locator('#regulation-facts').textContent()).toContain('1 userId');

    // The list shows it, newest first, with its status: how many subjects, never which.
    await openView(stack, '#/privacy');
    const listed = await stack.admin<{ items: Regulation[] }>(regulations);
    expect(listed.items.map((r) => r.regulationId)).toEqual([regulationId]);
    const row = page.locator(`#regulations-table tr[data-regulation-id="${regulationId}"]`);
    expect(await row.getAttribute('data-status')).toBe('FINISHED');
    expect((await tableRows(page, '#regulations-table')).map((r) => r.slice(0, 4))).toEqual([
      [regulationId.slice(0, 8), 'SUPPRESS_WITH_DELETE', '1 userId', 'FINISHED'],
    ]);
    expect(await page.content()).not.toContain(person);
  }, 90_000);

  it("counts the person's next event as suppressed, by day", async () => {
    const { page } = stack;
    const before = await suppressed();
    expect(before.suppressedSubjects).toBe(1);
    await openView(stack, `#/privacy?day=${today}`);
    const count = (key: string) =>
      page.locator(`#privacy-suppressed [data-count="${key}"] .n`).textContent();
    expect(await page.locator('#privacy-day input[name=day]').inputValue()).toBe(today);
    expect(await count('suppressedEvents')).toBe(shown(before.suppressedEvents));
    expect(await count('suppressedSubjects')).toBe('1');

    // Answered as accepted, and dropped: counted within a second or so.
    await sendOrder(person);
    const after = await eventually(
      async () => {
        const now = await suppressed();
        return now.suppressedEvents > before.suppressedEvents ? now : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 250, what: 'the suppressed event counted' },
    );
    expect(after.suppressedEvents).toBe(before.suppressedEvents + 1);
    await page.locator('#refresh').click();
    await expect.poll(() => count('suppressedEvents')).toBe(shown(after.suppressedEvents));

    // Another day, chosen in the picker: its own URL and its own count.
    const yesterday = addDays(today, -1);
    await page.locator('#privacy-day').getByLabel('Day (UTC)').fill(yesterday);
    await page.locator('#privacy-day').getByRole('button', { name: 'Show' }).click();
    await expect.poll(() => page.url()).toContain(`#/privacy?day=${yesterday}`);
    await expect
      .poll(() =>
        page.locator('#privacy-suppressed [data-count="suppressedEvents"] .label').textContent(),
      )
      .toContain(yesterday);
    expect(await count('suppressedEvents')).toBe(
      shown((await suppressed(yesterday)).suppressedEvents),
    );
  });

  it('makes at most two API calls per view, labels every control, fits a phone, and logs no error', async () => {
    const { page } = stack;
    await openView(stack, '#/overview');
    const list = await apiCallsOf(page, '#/privacy', () =>
      page.locator('#app #regulations-table').waitFor(),
    );
    expect(list).toEqual([regulations, `/v1/admin/privacy/suppressed?day=${today}`]);
    const one = await apiCallsOf(page, `#/privacy/${regulationId}`, () =>
      page.locator('#app #regulation-receipts-table').waitFor(),
    );
    expect(one).toEqual([`${regulations}/${regulationId}`]);

    await openView(stack, '#/privacy');
    const unlabelled = await unlabelledControls(page, 'privacy');
    expect(unlabelled).toEqual([]);
    expect(await page.locator('nav a[data-nav="privacy"]').getAttribute('aria-current')).toBe(
      'page',
    );

    expect(
      await viewsWiderThanAPhone(stack, ['#/privacy', `#/privacy/${regulationId}`], hashShown),
    ).toEqual({
      tooWide: [],
      errors: [],
    });
    expect(stack.browser.errors).toEqual([]);
  }, 60_000);
});
