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

type Version = {
  eventType: string;
  version: number;
  schema: Record<string, unknown>;
  requiredFields: string[];
  description: string | null;
  publishedAt: string;
};
type PlanType = {
  eventType: string;
  current: Version | null;
  draft: { updatedAt: string } | null;
  latestVersion: number;
};
type Plan = { revision: number; settings: Record<string, string>; types: PlanType[] };
type Violation = { instancePath: string; keyword: string; message: string; version: number };
type Violations = {
  day: string;
  total: number;
  types: {
    eventType: string;
    count: number;
    examples: { eventId: string; status: string; violations: Violation[] }[];
  }[];
};
type Replay = {
  replayId: string;
  status: string;
  matched: number;
  replayed: number;
  stillFailing: number;
  remaining: number;
};
type EventStatus = { eventId: string; status: string; violations: Violation[] };

const plan = '/v1/admin/tracking-plan';
const orderSchema = {
  type: 'object',
  properties: { orderId: { type: 'string' }, amount: { type: 'number', minimum: 0 } },
  required: ['orderId', 'amount'],
};
const planFile = {
  settings: { unplanned: 'quarantine', violations: 'quarantine' },
  types: [
    {
      eventType: 'order.placed',
      schema: orderSchema,
      requiredFields: ['userId'],
      description: 'A customer placed an order',
    },
    {
      eventType: 'signup.completed',
      schema: {
        type: 'object',
        properties: { plan: { enum: ['free', 'pro'] } },
        required: ['plan'],
      },
    },
    { eventType: 'page.viewed', schema: { type: 'object' }, requiredFields: ['path'] },
  ],
};
/** What order.placed becomes: any amount, no user required. */
const relaxedOrderSchema = {
  type: 'object',
  properties: { orderId: { type: 'string' } },
  required: ['orderId'],
};

/**
 * The console's tracking plan view in Debian's Chromium against `npm start`: a plan
 * imported through the API, events that keep it and break it, then the view shows the
 * types, their versions and the day's violations as the API answers them, links an
 * example to its event, and replays the quarantine to completion once a relaxed version
 * is published.
 */
describe('the web console: the tracking plan', () => {
  let stack: ConsoleStack;
  const today = utcDay(new Date());
  const sent: Record<'good' | 'badOrders' | 'badSignup', string[]> = {
    good: [],
    badOrders: [],
    badSignup: [],
  };

  const sendEvent = async (event: Record<string, unknown>): Promise<string> => {
    const response = await postJson(`${stack.info.ingestUrl}/v1/events`, event, {
      authorization: `Bearer ${stack.info.apiKey}`,
    });
    if (response.status !== 202) throw new Error(`sending: ${response.status}`);
    return ((await response.json()) as { eventId: string }).eventId;
  };
  /** The event's status once processing has settled it (processed or quarantined). */
  const settled = (eventId: string, timeoutMs = 20_000) =>
    eventually(
      async () => {
        const event = await stack
          .admin<EventStatus>(`/v1/events/${eventId}`)
          .catch(() => undefined);
        return event && ['PROCESSED', 'QUARANTINED'].includes(event.status) ? event : undefined;
      },
      { timeoutMs, intervalMs: 200, what: `${eventId} processed or quarantined` },
    );

  beforeAll(async () => {
    // The processor reads the plan again every second, not every 30.
    stack = await startConsoleStack('console-plan', { TRACKING_PLAN_CACHE_SECONDS: '1' });
    await stack.admin(`${plan}/import`, { method: 'POST', body: planFile });
    // In force once an event of a type the plan does not name is quarantined.
    await eventually(
      async () => {
        const probe = await settled(await sendEvent({ eventType: 'probe.sent', payload: {} }));
        return probe.status === 'QUARANTINED' ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1000, what: 'the plan to be enforced' },
    );

    sent.good.push(
      await sendEvent({
        eventType: 'order.placed',
        userId: 'u1',
        payload: { orderId: 'o-1', amount: 12.5 },
      }),
      await sendEvent({
        eventType: 'signup.completed',
        payload: { plan: 'pro' },
      }),
      await sendEvent({ eventType: 'page.viewed', path: '/', payload: {} }),
    );
    sent.badOrders.push(
      await sendEvent({
        eventType: 'order.placed',
        userId: 'u1',
        payload: { orderId: 'o-2', amount: 'ten' },
      }),
      await sendEvent({
        eventType: 'order.placed',
        payload: { orderId: 'o-3', amount: 3 },
      }),
      await sendEvent({
        eventType: 'order.placed',
        userId: 'u2',
        payload: { orderId: 'o-4', amount: -1 },
      }),
    );
    sent.badSignup.push(
      await sendEvent({ eventType: 'signup.completed', payload: { plan: 'enterprise' } }),
    );
    // Each settles as the plan says: the good processed, the others quarantined.
    const good = await Promise.all(sent.good.map(async (id) => (await settled(id)).status));
    const bad = await Promise.all(
      [...sent.badOrders, ...sent.badSignup].map(async (id) => (await settled(id)).status),
    );
    if (good.some((s) => s !== 'PROCESSED') || bad.some((s) => s !== 'QUARANTINED'))
      throw new Error(`settled as ${JSON.stringify({ good, bad })}`);
  }, 180_000);

  afterAll(async () => {
    await stack?.close();
  });

  it('shows the settings and every type with its current version, and whether a draft waits', async () => {
    const { page } = stack;
    // A draft of the relaxed order.placed waits: nothing enforced yet.
    await stack.admin(`${plan}/types/order.placed/draft`, {
      method: 'PUT',
      body: { schema: relaxedOrderSchema, description: 'A customer placed an order' },
    });
    const answer = await stack.admin<Plan>(plan);
    await openView(stack, '#/plan');
    expect(await page.locator('#plan-settings [data-setting="unplanned"]').textContent()).toMatch(
      /^quarantine:/,
    );
    expect(await page.locator('#plan-settings [data-setting="violations"]').textContent()).toMatch(
      /^quarantine:/,
    );
    expect(await page.locator('#plan-settings').textContent()).toContain(String(answer.revision));
    expect(answer.types.map((t) => t.eventType).sort()).toEqual(
      planFile.types.map((t) => t.eventType).sort(),
    );
    // Type, current version, required fields, description (times are the browser's locale).
    const rows = await tableRows(page, '#plan-types-table');
    expect(rows.map((r) => [r[0], r[1], r[3], r[5]])).toEqual(
      answer.types.map((t) => [
        t.eventType,
        `v${t.current!.version}`,
        t.current!.requiredFields.length > 0 ? t.current!.requiredFields.join(', ') : 'none',
        t.current!.description ?? '—',
      ]),
    );
    expect(rows.map((r) => r[4]!.startsWith('waiting'))).toEqual(
      answer.types.map((t) => t.draft !== null),
    );
    await page
      .locator('#plan-types-table tr[data-event-type="order.placed"] [data-draft]')
      .waitFor();
    expect(
      await page
        .locator('#plan-types-table tr[data-event-type="signup.completed"] [data-draft]')
        .count(),
    ).toBe(0);

    // A type opens its own view: its one version, its schema pretty-printed, the draft apart.
    await page.locator('#plan-types-table tr[data-event-type="order.placed"] a').click();
    await expect.poll(() => page.url()).toContain('#/plan/order.placed');
    await page.locator('#plan-versions .plan-version').first().waitFor();
    expect(await page.locator('#plan-type-title').textContent()).toBe('order.placed');
    expect(await page.locator('#plan-versions .plan-version').count()).toBe(1);
    const v1 = page.locator('#plan-versions .plan-version[data-version="1"]');
    expect(await v1.locator('pre').textContent()).toBe(JSON.stringify(orderSchema, null, 2));
    expect(await v1.textContent()).toContain('userId');
    expect(await page.locator('#plan-draft [data-draft] pre').textContent()).toBe(
      JSON.stringify(relaxedOrderSchema, null, 2),
    );
  });

  it("shows the day's violations by type with example events, each linking to its Event view", async () => {
    const { page } = stack;
    // Each instance writes its counts a second after its last delivery at the latest.
    let answer = await stack.admin<Violations>(`${plan}/violations?day=${today}&examples=3`);
    const countsSettled = (a: Violations) =>
      a.types.find((t) => t.eventType === 'order.placed')?.count === 3 &&
      a.types.find((t) => t.eventType === 'signup.completed')?.count === 1;
    for (let i = 0; i < 50 && !countsSettled(answer); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      answer = await stack.admin<Violations>(`${plan}/violations?day=${today}&examples=3`);
    }
    const orders = answer.types.find((t) => t.eventType === 'order.placed')!;
    expect(orders.count).toBe(3);
    expect(orders.examples.map((e) => e.eventId).sort()).toEqual([...sent.badOrders].sort());
    expect(answer.types.find((t) => t.eventType === 'signup.completed')?.count).toBe(1);

    await openView(stack, '#/plan');
    expect(await page.locator('#plan-day input[name=day]').inputValue()).toBe(today);
    expect(await page.locator('#plan-violations-total').textContent()).toContain(
      shown(answer.total),
    );
    // Types with most violations first, as the API ranks them.
    expect(
      await page
        .locator('#plan-violations .plan-violations')
        .evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-event-type'))),
    ).toEqual(answer.types.map((t) => t.eventType));
    const block = page.locator('#plan-violations .plan-violations[data-event-type="order.placed"]');
    expect(await block.locator('[data-count]').getAttribute('data-count')).toBe('3');
    expect(await block.locator('h4').textContent()).toContain('3 events');
    // A row per violation: the event and its status on its first, then pointer, keyword, message.
    const rows = await tableRows(
      page,
      '#plan-violations .plan-violations[data-event-type="order.placed"]',
    );
    expect(rows).toEqual(
      orders.examples.flatMap((example) =>
        example.violations.map((v, i) => [
          i === 0 ? example.eventId.slice(0, 8) : '',
          i === 0 ? example.status : '',
          `v${v.version}`,
          v.instancePath || '(the event)',
          v.keyword,
          v.message,
        ]),
      ),
    );
    const keywords = orders.examples.flatMap((e) => e.violations.map((v) => v.keyword)).sort();
    expect(keywords).toEqual(['minimum', 'required', 'type']);

    // An example opens the Event view of its id: quarantined there too.
    const example = orders.examples[0]!;
    await block.locator(`tr[data-event-id="${example.eventId}"] a`).first().click();
    await expect.poll(() => page.url()).toContain(`#/events/${example.eventId}`);
    await expect.poll(() => page.locator('#event-title').textContent()).toBe(example.eventId);
    expect(await page.locator('#event-facts [data-status]').getAttribute('data-status')).toBe(
      'QUARANTINED',
    );

    // Another day, chosen in the picker: its own URL, nothing broke the plan then.
    await openView(stack, '#/plan');
    const yesterday = addDays(today, -1);
    await page.locator('#plan-day').getByLabel('Day (UTC)').fill(yesterday);
    await page.locator('#plan-day').getByRole('button', { name: 'Show' }).click();
    await expect.poll(() => page.url()).toContain(`#/plan?day=${yesterday}`);
    await expect
      .poll(() => page.locator('#plan-violations').textContent())
      .toContain(`No event broke the plan on ${yesterday}.`);
  });

  it('replays the quarantine after a relaxed version is published, following the job to completed', async () => {
    const { page } = stack;
    const published = await stack.admin<Version>(`${plan}/types/order.placed/publish`, {
      method: 'POST',
      expect: 201,
    });
    expect(published.version).toBe(2);
    const quarantined = await stack.admin<{ items: EventStatus[] }>(
      '/v1/admin/events/failed?status=QUARANTINED&limit=100',
    );
    const held = quarantined.items.map((e) => e.eventId);
    expect(held).toEqual(expect.arrayContaining([...sent.badOrders, ...sent.badSignup]));

    await openView(stack, '#/plan');
    const started = page.waitForResponse(
      (r) => r.url().endsWith(`${plan}/replays`) && r.request().method() === 'POST',
    );
    await page.getByRole('button', { name: 'Replay quarantine' }).click();
    const response = await started;
    expect(response.status()).toBe(202);
    expect(response.request().postDataJSON()).toEqual({});
    const { replayId } = (await response.json()) as Replay;
    const box = page.locator(`#plan-replay .plan-replay[data-replay-id="${replayId}"]`);
    await box.waitFor();
    await page
      .locator(`#plan-replay .plan-replay[data-replay-id="${replayId}"][data-status="completed"]`)
      .waitFor({ timeout: 60_000 });
    const job = await stack.admin<Replay>(`${plan}/replays/${replayId}`);
    // The three orders pass v2; the signup and the unplanned probes still break the plan.
    expect(job).toMatchObject({
      status: 'completed',
      matched: held.length,
      replayed: 3,
      stillFailing: held.length - 3,
      remaining: 0,
    });
    for (const [key, value] of [
      ['matched', job.matched],
      ['replayed', job.replayed],
      ['stillFailing', job.stillFailing],
      ['remaining', job.remaining],
    ] as const) {
      expect(await box.locator(`[data-count="${key}"] .n`).textContent()).toBe(shown(value));
    }
    expect(await box.locator('progress').getAttribute('value')).toBe(String(job.matched));
    await expect
      .poll(() => page.getByRole('button', { name: 'Replay quarantine' }).isEnabled())
      .toBe(true);
    for (const id of sent.badOrders) expect((await settled(id, 30_000)).status).toBe('PROCESSED');
    expect((await settled(sent.badSignup[0]!)).status).toBe('QUARANTINED');

    // The type shows both versions, newest first, v2 current.
    await openView(stack, '#/plan/order.placed');
    expect(
      await page
        .locator('#plan-versions .plan-version')
        .evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-version'))),
    ).toEqual(['2', '1']);
    const v2 = page.locator('#plan-versions .plan-version[data-version="2"]');
    expect(await v2.locator('h4').textContent()).toContain('current');
    expect(await v2.locator('pre').textContent()).toBe(JSON.stringify(relaxedOrderSchema, null, 2));
    expect(await page.locator('#plan-draft').textContent()).toBe('');

    // The day's examples of order.placed are processed now, with nothing broken.
    await openView(stack, '#/plan');
    const rows = await tableRows(
      page,
      '#plan-violations .plan-violations[data-event-type="order.placed"]',
    );
    expect(rows.map((r) => [r[1], r[5]])).toEqual(
      sent.badOrders.map(() => ['PROCESSED', 'None now: it passed a later check.']),
    );
  }, 90_000);

  it('makes at most two API calls per view, labels every control, fits a phone, and logs no error', async () => {
    const { page } = stack;
    await openView(stack, '#/overview');
    const list = await apiCallsOf(page, '#/plan', () =>
      page.locator('#app #plan-types-table').waitFor(),
    );
    expect(list).toEqual([plan, `${plan}/violations?day=${today}&examples=3`]);
    const type = await apiCallsOf(page, '#/plan/signup.completed', () =>
      page.locator('#app #plan-versions .plan-version').first().waitFor(),
    );
    expect(type).toEqual([`${plan}/types/signup.completed`]);

    await openView(stack, '#/plan');
    const unlabelled = await unlabelledControls(page, 'plan');
    expect(unlabelled).toEqual([]);

    expect(await viewsWiderThanAPhone(stack, ['#/plan', '#/plan/order.placed'], hashShown)).toEqual(
      {
        tooWide: [],
        errors: [],
      },
    );
    expect(stack.browser.errors).toEqual([]);
  }, 60_000);
});
