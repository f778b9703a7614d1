import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collections } from '../../infra/spec.ts';
import { loaderDeps } from '../../functions/src/entries/warehouse.ts';
import { runLoader } from '../../functions/src/warehouse/loadWarehouse.ts';
import { sleep } from '../../scripts/lib/emulators.ts';
import { adminHeaders } from '../support/failedEvents.ts';
import { eventually, postJson, startTestPipeline, type TestPipeline } from '../support/pipeline.ts';

/**
 * A plan of three types, 1,000 events through our API (single and batch), the tracking
 * API and a CSV upload, 100 of them breaking the plan: the 100 are quarantined, the
 * warehouse holds 900; a new version accepts 60 of them and a replay brings them in
 * once (960); a second replay changes nothing; 40 stay with the new version's violations.
 */

const order = 'order.completed';
const tracked = 'track.order_completed';
const imported = 'catalog.item_imported';

function planV1() {
  return {
    settings: { unplanned: 'quarantine', violations: 'quarantine' },
    types: [
      {
        eventType: order,
        schema: {
          type: 'object',
          properties: {
            amount: { type: 'number' },
            currency: { type: 'string', pattern: '^[A-Z]{3}$' },
          },
          required: ['amount', 'currency'],
        },
        requiredFields: ['userId'],
      },
      {
        eventType: tracked,
        schema: {
          type: 'object',
          properties: {
            properties: {
              type: 'object',
              properties: { amount: { type: 'number' } },
              required: ['amount'],
            },
          },
          required: ['properties'],
        },
      },
      {
        eventType: imported,
        schema: {
          type: 'object',
          properties: { sku: { type: 'string', pattern: '^SKU-[0-9]+$' } },
          required: ['sku'],
        },
      },
    ],
  };
}

/** Version 2: amounts may come as numeric text, and SKUs may start `bad-`. */
function planV2() {
  const plan = planV1();
  const amount = { type: ['number', 'string'], pattern: '^[0-9]+(\\.[0-9]+)?$' };
  const [orders, tracks, items] = plan.types.map((type) => type.schema.properties) as unknown as [
    Record<string, unknown>,
    { properties: { properties: Record<string, unknown> } },
    Record<string, unknown>,
  ];
  orders.amount = amount;
  tracks.properties.properties.amount = amount;
  items.sku = { type: 'string', pattern: '^(SKU|bad)-[0-9]+$' };
  return plan;
}

/** Every 10th event breaks the plan: 6 of 10 of those are fixed by version 2, 4 are not. */
function orderPayload(i: number): Record<string, unknown> {
  if (i % 10 !== 9) return { amount: i + 0.5, currency: 'EUR' };
  return (i / 10) % 10 < 6 ? { amount: `${i}.5`, currency: 'EUR' } : { currency: 'EUR' };
}

function trackAmount(i: number): Record<string, unknown> {
  if (i % 10 !== 9) return { amount: i };
  return (i / 10) % 10 < 6 ? { amount: `${i}` } : { note: 'no amount' };
}

function sku(i: number): string {
  if (i % 10 !== 9) return `SKU-${i}`;
  return (i / 10) % 10 < 6 ? `bad-${i}` : `zzz-${i}`;
}

describe('tracking plans: quarantine, violations and replay, exactly once', () => {
  let pipeline: TestPipeline;
  const admin = () => adminHeaders(pipeline);
  const plan = (path = '') => `${pipeline.urls.api}/v1/admin/tracking-plan${path}`;
  const auth = () => ({ authorization: `Bearer ${pipeline.apiKey}` });

  beforeAll(async () => {
    pipeline = await startTestPipeline({
      label: 'plan',
      env: { TRACKING_PLAN_CACHE_SECONDS: '1' },
    });
  });
  afterAll(async () => {
    await pipeline.close();
  });

  async function countByStatus(status: string): Promise<number> {
    const snapshot = await pipeline.firestore
      .collection(collections.events.name)
      .where('status', '==', status)
      .count()
      .get();
    return snapshot.data().count;
  }

  async function warehouseRows(): Promise<{ rows: number; distinct: number }> {
    for (;;) {
      const report = await runLoader(loaderDeps(pipeline.runtime));
      if (report.messages === 0) break;
    }
    const [row] = await pipeline.runtime.warehouse.query(
      'SELECT COUNT(*) AS n, COUNT(DISTINCT event_id) AS d FROM tributary.events',
      {},
    );
    return { rows: Number(row?.n), distinct: Number(row?.d) };
  }

  async function replayToEnd(): Promise<Record<string, number | string>> {
    const started = await postJson(plan('/replays'), {}, admin());
    expect(started.status).toBe(202);
    const job = (await started.json()) as { replayId: string };
    return eventually(
      async () => {
        const response = await fetch(plan(`/replays/${job.replayId}`), { headers: admin() });
        const body = (await response.json()) as Record<string, number | string>;
        return body.status === 'completed' ? body : undefined;
      },
      { what: 'the quarantine replay to complete', timeoutMs: 60_000 },
    );
  }

  it('refuses plans it cannot enforce, naming the field', async () => {
    const typo = await postJson(
      plan('/import'),
      { ...planV1(), types: [{ eventType: order, schema: { type: 'object', requried: ['a'] } }] },
      admin(),
    );
    expect(typo.status).toBe(400);
    const body = (await typo.json()) as {
      error: { code: string; fields: { field: string; message: string }[] };
    };
    expect(body.error.code).toBe('invalid_schema');
    expect(body.error.fields[0]).toMatchObject({ field: 'types.0.schema' });
    expect(body.error.fields[0]!.message).toContain('requried');

    const enforcement = await fetch(plan('/settings'), {
      method: 'PUT',
      headers: { ...admin(), 'content-type': 'application/json' },
      body: JSON.stringify({ unplanned: 'drop', violations: 'allow' }),
    });
    expect(enforcement.status).toBe(400);
    expect(JSON.stringify(await enforcement.json())).toContain('unplanned');

    const badType = await fetch(plan('/types/Not%20A%20Type'), { headers: admin() });
    expect(badType.status).toBe(400);
    const noDraft = await postJson(plan(`/types/${order}/publish`), {}, admin());
    expect(noDraft.status).toBe(409);
    const noVersion = await fetch(plan(`/types/${order}/versions/7`), { headers: admin() });
    expect(noVersion.status).toBe(404);
  });

  it('publishes a plan from a file; the same file again changes nothing', async () => {
    const first = await postJson(plan('/import'), planV1(), admin());
    expect(first.status).toBe(200);
    const applied = (await first.json()) as { revision: number; published: unknown[] };
    expect(applied.published).toHaveLength(3);
    const again = (await (await postJson(plan('/import'), planV1(), admin())).json()) as {
      revision: number;
      unchanged: string[];
    };
    expect(again.revision).toBe(applied.revision);
    expect([...again.unchanged].sort()).toEqual([imported, order, tracked].sort());
    const exported = (await (await fetch(plan('/export'), { headers: admin() })).json()) as {
      types: { eventType: string }[];
    };
    expect(exported.types.map((t) => t.eventType)).toEqual([imported, order, tracked].sort());
    // Instances hold the plan for a second here.
    await sleep(1_500);
  });

  it('quarantines the 100 of 1,000 events that break it, and loads exactly 900', async () => {
    // 100 single calls of our API.
    for (let i = 0; i < 100; i += 1) {
      const response = await postJson(
        `${pipeline.urls.ingest}/v1/events`,
        { eventType: order, userId: `u-${i}`, payload: orderPayload(i) },
        auth(),
      );
      expect(response.status).toBe(202);
    }
    // 500 in batches of 100.
    for (let b = 0; b < 5; b += 1) {
      const events = Array.from({ length: 100 }, (_, k) => {
        const i = 100 + b * 100 + k;
        return { eventType: order, userId: `u-${i}`, payload: orderPayload(i) };
      });
      const response = await postJson(
        `${pipeline.urls.ingest}/v1/events/batch`,
        { events },
        auth(),
      );
      expect(response.status).toBe(202);
      expect(await response.json()).toMatchObject({ accepted: 100, rejected: 0 });
    }
    // 200 through the tracking API.
    const basic = {
      authorization: `Basic ${Buffer.from(`${pipeline.apiKey}:`).toString('base64')}`,
    };
    for (let b = 0; b < 2; b += 1) {
      const batch = Array.from({ length: 100 }, (_, k) => ({
        type: 'track',
        event: 'Order Completed',
        userId: `t-${b * 100 + k}`,
        messageId: `plan-${b * 100 + k}`,
        properties: trackAmount(b * 100 + k),
      }));
      const response = await postJson(`${pipeline.urls.ingest}/v1/batch`, { batch }, basic);
      expect(response.status).toBe(200);
    }
    // 200 rows of a CSV upload.
    const csv = [
      'eventType,payload.sku',
      ...Array.from({ length: 200 }, (_, i) => `${imported},${sku(i)}`),
    ].join('\n');
    const form = new FormData();
    form.append('file', new Blob([csv], { type: 'text/csv' }), 'items.csv');
    const uploaded = await fetch(`${pipeline.urls.api}/v1/uploads`, {
      method: 'POST',
      headers: { ...auth(), 'x-forwarded-for': '203.0.113.80' },
      body: form,
    });
    expect(uploaded.status).toBe(200);
    expect(await uploaded.json()).toMatchObject({ insertedCount: 200, failedCount: 0 });

    await eventually(
      async () => {
        const [processed, quarantined] = await Promise.all([
          countByStatus('PROCESSED'),
          countByStatus('QUARANTINED'),
        ]);
        return processed === 900 && quarantined === 100 ? true : undefined;
      },
      { what: '900 processed and 100 quarantined', timeoutMs: 60_000 },
    );
    expect(await warehouseRows()).toEqual({ rows: 900, distinct: 900 });

    // Each quarantined event names the schema, version, pointer, rule and message.
    const held = await pipeline.firestore
      .collection(collections.events.name)
      .where('status', '==', 'QUARANTINED')
      .get();
    const violations = held.docs.flatMap(
      (doc) =>
        doc.data().violations as {
          eventType: string;
          version: number;
          instancePath: string;
          keyword: string;
        }[],
    );
    expect(violations).toContainEqual(
      expect.objectContaining({
        eventType: order,
        version: 1,
        instancePath: '/payload/amount',
        keyword: 'type',
      }),
    );
    expect(violations).toContainEqual(
      expect.objectContaining({
        eventType: order,
        version: 1,
        instancePath: '/payload',
        keyword: 'required',
      }),
    );
    expect(violations).toContainEqual(
      expect.objectContaining({ eventType: tracked, instancePath: '/payload/properties/amount' }),
    );
    expect(violations).toContainEqual(
      expect.objectContaining({
        eventType: imported,
        instancePath: '/payload/sku',
        keyword: 'pattern',
      }),
    );

    // The day's counts and examples, for the console.
    const day = new Date().toISOString().slice(0, 10);
    // Each instance writes its counts a second after its last delivery at the latest.
    type Report = {
      total: number;
      types: { eventType: string; count: number; examples: { eventId: string }[] }[];
    };
    const report = await eventually(
      async () => {
        const answer = (await (
          await fetch(plan(`/violations?day=${day}`), { headers: admin() })
        ).json()) as Report;
        return answer.total === 100 ? answer : undefined;
      },
      { what: "the day's violation counts" },
    );
    expect(report.total).toBe(100);
    expect(report.types.map(({ eventType, count }) => ({ eventType, count }))).toEqual([
      { eventType: order, count: 60 },
      { eventType: imported, count: 20 },
      { eventType: tracked, count: 20 },
    ]);
    expect(report.types[0]!.examples).toHaveLength(3);
  });

  it('replays once the plan accepts 60 of them: 960 rows, each once; a second replay changes nothing', async () => {
    const published = (await (await postJson(plan('/import'), planV2(), admin())).json()) as {
      published: { version: number }[];
    };
    expect(published.published.map((p) => p.version)).toEqual([2, 2, 2]);

    const first = await replayToEnd();
    expect(first).toMatchObject({ matched: 100, replayed: 60, stillFailing: 40, failed: 0 });
    await eventually(async () => ((await countByStatus('PROCESSED')) === 960 ? true : undefined), {
      what: '960 processed',
      timeoutMs: 60_000,
    });
    expect(await countByStatus('QUARANTINED')).toBe(40);
    expect(await warehouseRows()).toEqual({ rows: 960, distinct: 960 });

    const second = await replayToEnd();
    expect(second).toMatchObject({ matched: 40, replayed: 0, stillFailing: 40 });
    await sleep(1_000);
    expect(await warehouseRows()).toEqual({ rows: 960, distinct: 960 });
    expect(await countByStatus('PROCESSED')).toBe(960);

    const left = await pipeline.firestore
      .collection(collections.events.name)
      .where('status', '==', 'QUARANTINED')
      .get();
    expect(left.size).toBe(40);
    for (const doc of left.docs) {
      const violations = doc.data().violations as { version: number }[];
      expect(violations.length).toBeGreaterThan(0);
      expect(violations.every((v) => v.version === 2)).toBe(true);
    }
  });

  it('under block, refuses what breaks the plan where the producer sees the answer', async () => {
    const settings = await fetch(plan('/settings'), {
      method: 'PUT',
      headers: { ...admin(), 'content-type': 'application/json' },
      body: JSON.stringify({ unplanned: 'block', violations: 'block' }),
    });
    expect(settings.status).toBe(200);
    await sleep(1_500);
    const single = await postJson(
      `${pipeline.urls.ingest}/v1/events`,
      { eventType: order, userId: 'u-x', payload: { amount: 'lots', currency: 'eur' } },
      auth(),
    );
    // The ingest instance reads the plan in the background: the first call may still pass.
    const refused =
      single.status === 400
        ? single
        : await postJson(
            `${pipeline.urls.ingest}/v1/events`,
            { eventType: order, userId: 'u-x', payload: { amount: 'lots', currency: 'eur' } },
            auth(),
          );
    expect(refused.status).toBe(400);
    const body = (await refused.json()) as { error: { code: string; fields: { field: string }[] } };
    expect(body.error.code).toBe('plan_violation');
    expect(body.error.fields.map((f) => f.field).sort()).toEqual([
      '/payload/amount',
      '/payload/currency',
    ]);

    const batch = await postJson(
      `${pipeline.urls.ingest}/v1/events/batch`,
      {
        events: [
          { eventType: order, userId: 'u-y', payload: { amount: 1, currency: 'EUR' } },
          { eventType: 'unknown.kind', payload: {} },
        ],
      },
      auth(),
    );
    expect(batch.status).toBe(202);
    expect(await batch.json()).toMatchObject({
      accepted: 1,
      rejected: 1,
      results: [{ status: 'accepted' }, { status: 'rejected', errors: [{ field: '(root)' }] }],
    });
    const basic = {
      authorization: `Basic ${Buffer.from(`${pipeline.apiKey}:`).toString('base64')}`,
    };
    const track = await postJson(
      `${pipeline.urls.ingest}/v1/track`,
      { event: 'Order Completed', userId: 't-x', properties: { amount: 'lots' } },
      basic,
    );
    expect(track.status).toBe(400);
  });
});
