import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../infra/spec.ts';
import type { EventEnvelope } from '../../functions/src/lib/eventEnvelope.ts';
import { eventMessage } from '../../functions/src/lib/eventMessages.ts';
import { addDays, utcDay } from '../../functions/src/metrics/dates.ts';
import { FirestoreMetricsDocStore } from '../../functions/src/metrics/metricsStore.ts';
import { FirestoreEventStatusStore } from '../../functions/src/process/eventStatusStore.ts';
import { runLoader } from '../../functions/src/warehouse/loadWarehouse.ts';
import type { Warehouse } from '../../functions/src/warehouse/warehouse.ts';
import { sleep } from '../../scripts/lib/emulators.ts';
import {
  expectedMetrics,
  expectedSiteRange,
  expectedSites,
  expectedStats,
  generateEvents,
} from '../support/analyticsDataset.ts';
import { counting, statusWrites } from '../support/counting.ts';
import { eventually, postJson, startTestPipeline, type TestPipeline } from '../support/pipeline.ts';
import { CountingWarehouse, RecordingMetricsDocStore } from '../support/warehouseFakes.ts';
import { loaderDeps } from '../../functions/src/entries/warehouse.ts';

const published = 10_000;
const viaIngest = 200;
const redeliveredToProcessing = 300;
const redeliveredProcessed = 300;
const sites = ['shop', 'blog', 'docs', 'nowhere'];

/**
 * The whole path under load: events published to `events` (and some through ingest),
 * processed, pulled in batches by loadWarehouse runs that the `warehouse-load` topic
 * starts, written to the local warehouse, and counted by the metrics endpoints, live
 * and from the nightly documents. Messages are redelivered on purpose at every step.
 */
describe(`${published.toLocaleString('en')} events through the pipeline into the warehouse`, () => {
  const now = new Date();
  const today = utcDay(now);
  const days = [addDays(today, -3), addDays(today, -2), addDays(today, -1), today];
  const closedDays = days.slice(0, 3);
  const yesterday = closedDays[2]!;
  let pipeline: TestPipeline;
  let warehouse: CountingWarehouse;
  let raw: Warehouse;
  let metricsDocs: RecordingMetricsDocStore;
  let eventStore: ReturnType<typeof counting<FirestoreEventStatusStore>>;
  const events: EventEnvelope[] = generateEvents({ count: published, days, now, seed: 42 });
  const ingested: EventEnvelope[] = [];
  const late: EventEnvelope[] = generateEvents({
    count: 60,
    days: [yesterday, closedDays[1]!],
    now,
    seed: 7,
  });

  beforeAll(async () => {
    pipeline = await startTestPipeline({
      label: 'warehouse',
      overrides: (base) => {
        raw = base.warehouse;
        warehouse = new CountingWarehouse(raw, { loseAcknowledgements: 2 });
        metricsDocs = new RecordingMetricsDocStore(new FirestoreMetricsDocStore(base.firestore));
        eventStore = counting(new FirestoreEventStatusStore(base.firestore));
        return { warehouse, metricsDocs, events: eventStore.proxy, now: () => now };
      },
    });
  }, 60_000);
  afterAll(async () => {
    await pipeline.close();
  });

  async function distinctEvents(): Promise<number> {
    const [row] = await raw.query('SELECT COUNT(DISTINCT event_id) AS n FROM tributary.events', {});
    return Number(row?.n);
  }

  async function admin(path: string): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${pipeline.urls.api}${path}`, {
      headers: { authorization: `Bearer ${pipeline.adminToken}` },
    });
    return { status: response.status, body: await response.json() };
  }

  /** Runs the loader on demand until a run finds nothing left. */
  async function drain(): Promise<void> {
    for (;;) {
      const report = await runLoader(loaderDeps(pipeline.runtime));
      if (report.messages === 0) return;
    }
  }

  async function publishThroughIngest(): Promise<void> {
    for (let batch = 0; batch < viaIngest / 100; batch += 1) {
      const items = Array.from({ length: 100 }, (_, i) => ({
        eventType: 'page.viewed',
        payload: { batch, i },
        siteId: 'shop',
        userId: `u-ingest-${i % 5}`,
        path: '/ingest',
        occurredAt: `${addDays(today, -(i % 2))}T00:00:01.000Z`,
      }));
      const response = await postJson(
        `${pipeline.urls.ingest}/v1/events/batch`,
        { events: items },
        { authorization: `Bearer ${pipeline.apiKey}` },
      );
      expect(response.status).toBe(202);
      const { results } = (await response.json()) as { results: { eventId: string }[] };
      for (const [i, result] of results.entries()) {
        ingested.push({
          ...items[i]!,
          eventId: result.eventId,
          receivedAt: '',
          source: 'api',
          producer: '',
        });
      }
    }
  }

  it('loads every event, redelivered or not, and each counts once', async () => {
    const batching = { batching: { maxMessages: 500, maxMilliseconds: 20 } };
    const eventsTopic = pipeline.pubsub.topic(topics.events.name, batching);
    const processedTopic = pipeline.pubsub.topic(topics.eventsProcessed.name, batching);
    // Processed events published again, as a processor that crashed before its status
    // write would; and two messages that are not processed events at all.
    const processedAt = new Date().toISOString();
    await Promise.all([
      ...events
        .slice(0, redeliveredProcessed)
        .map((e) => processedTopic.publishMessage(eventMessage({ ...e, processedAt }))),
      processedTopic.publishMessage({ data: Buffer.from('not json') }),
      processedTopic.publishMessage({ data: Buffer.from('{"eventId":"x"}') }),
    ]);
    for (let start = 0; start < events.length; start += 1000) {
      await Promise.all(
        events.slice(start, start + 1000).map((e) => eventsTopic.publishMessage(eventMessage(e))),
      );
    }
    // Some events delivered to processing twice.
    await Promise.all(
      events
        .slice(-redeliveredToProcessing)
        .map((e) => eventsTopic.publishMessage(eventMessage(e))),
    );
    await publishThroughIngest();

    // The schedule's trigger, three times a minute instead of once.
    const expected = published + viaIngest;
    const trigger = pipeline.pubsub.topic(topics.warehouseLoad.name);
    const schedule = setInterval(() => {
      void trigger.publishMessage({ data: Buffer.from('{}') });
    }, 20_000);
    try {
      await eventually(async () => ((await distinctEvents()) === expected ? true : undefined), {
        timeoutMs: 400_000,
        intervalMs: 2000,
        what: `${expected} distinct events in the warehouse`,
      });
    } finally {
      clearInterval(schedule);
    }
    // Let a triggered run in progress finish, then take whatever is left on demand.
    await sleep(3000);
    await drain();

    const stored = await raw.query('SELECT DISTINCT event_id FROM tributary.events', {});
    expect(new Set(stored.map((r) => r.event_id))).toEqual(
      new Set([...events, ...ingested].map((e) => e.eventId)),
    );
    // Rows whose acknowledgement was lost are stored again, and still count once.
    const [{ rows } = {}] = await raw.query('SELECT COUNT(*) AS rows FROM tributary.events', {});
    const lost = warehouse.lostAcknowledgementRows.reduce((a, b) => a + b, 0);
    expect(lost).toBeGreaterThan(0);
    expect(Number(rows)).toBeGreaterThanOrEqual(expected + lost);

    // The two messages that were not events are recorded with their reason, once.
    const rejections = await pipeline.firestore.collection('warehouse_rejections').get();
    expect(rejections.docs.map((d) => d.get('reason') as string).sort()).toEqual([
      expect.stringContaining('invalid processed event'),
      'message data is not JSON',
    ]);

    // Batches: at least 500 rows per warehouse write on average.
    const rowsWritten = warehouse.writes.reduce((a, b) => a + b, 0);
    const average = rowsWritten / warehouse.writes.length;
    console.log(
      `loadWarehouse: ${warehouse.writes.length} writes of ${warehouse.writes.join(', ')} rows ` +
        `(${average.toFixed(0)} on average); ${Number(rows)} rows stored for ${expected} events`,
    );
    expect(average).toBeGreaterThanOrEqual(500);

    // No Firestore write per event for metrics: the status document stays the only one.
    expect(metricsDocs.saves).toEqual([]);
    const written = statusWrites(eventStore);
    expect(written).toBeGreaterThanOrEqual(expected);
    expect(written).toBeLessThanOrEqual(expected + redeliveredToProcessing);
  }, 480_000);

  it('costs one warehouse query for a burst of requests for today', async () => {
    const before = warehouse.queries;
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => admin(`/v1/metrics?date=${today}`)),
    );
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(warehouse.queries - before).toBe(1);
  });

  it('answers metrics and stats exactly, live from the warehouse, before any recomputation', async () => {
    const all = [...events, ...ingested];
    const metrics = await admin(`/v1/metrics?from=${days[0]}&to=${today}`);
    expect(metrics).toEqual({ status: 200, body: expectedMetrics(all, days) });
    for (const date of days) {
      for (const siteId of sites) {
        const stats = await admin(`/v1/stats?siteId=${siteId}&date=${date}`);
        expect(stats).toEqual({ status: 200, body: expectedStats(all, siteId, date) });
      }
    }
    // The sites seen, and each site over the whole range: its days and its totals.
    expect(await admin(`/v1/sites?from=${days[0]}&to=${today}`)).toEqual({
      status: 200,
      body: {
        from: days[0],
        to: today,
        count: 3,
        truncated: false,
        sites: expectedSites(all, days[0]!, today),
      },
    });
    for (const siteId of sites) {
      expect(await admin(`/v1/stats?siteId=${siteId}&from=${days[0]}&to=${today}`)).toEqual({
        status: 200,
        body: expectedSiteRange(all, siteId, days),
      });
    }
    const oneType = await admin(`/v1/metrics?date=${yesterday}&eventType=signup.completed`);
    const signups = all.filter(
      (e) => e.eventType === 'signup.completed' && e.occurredAt.startsWith(yesterday),
    ).length;
    expect(oneType.body).toEqual({
      count: 1,
      data: [{ date: yesterday, metrics: [{ eventType: 'signup.completed', count: signups }] }],
    });
  });

  it('recomputes closed days into one document per day and per site, and answers them from those', async () => {
    const all = [...events, ...ingested];
    await pipeline.pubsub
      .topic(topics.metricsRecompute.name)
      .publishMessage({ data: Buffer.from(JSON.stringify({ from: days[0], to: today })) });
    await eventually(async () => (metricsDocs.saves.length === 1 ? true : undefined), {
      what: 'the recomputation',
    });
    // Today is not closed: three days, three sites each. Writes do not grow with events.
    expect(metricsDocs.saves).toEqual([{ days: 3, sites: 9 }]);
    const docs = await pipeline.firestore.collection('daily_metrics').get();
    expect(docs.docs.map((d) => d.id).sort()).toEqual(closedDays);

    const before = warehouse.queries;
    const metrics = await admin(`/v1/metrics?from=${closedDays[0]}&to=${yesterday}`);
    expect(metrics.body).toEqual(expectedMetrics(all, closedDays));
    for (const date of closedDays) {
      for (const siteId of sites) {
        const stats = await admin(`/v1/stats?siteId=${siteId}&date=${date}`);
        expect(stats.body).toEqual(expectedStats(all, siteId, date));
      }
    }
    expect(warehouse.queries - before).toBe(0);

    // A closed range: each day from its documents; only the span's totals are a query.
    const beforeRange = warehouse.queries;
    for (const siteId of sites) {
      expect(
        (await admin(`/v1/stats?siteId=${siteId}&from=${closedDays[0]}&to=${yesterday}`)).body,
      ).toEqual(expectedSiteRange(all, siteId, closedDays));
    }
    expect(warehouse.queries - beforeRange).toBe(sites.length);
  });

  it('counts events that arrive late at the next nightly recomputation', async () => {
    const topic = pipeline.pubsub.topic(topics.events.name);
    await Promise.all(late.map((e) => topic.publishMessage(eventMessage(e))));
    const expected = published + viaIngest + late.length;
    await eventually(
      async () => {
        await drain();
        return (await distinctEvents()) === expected ? true : undefined;
      },
      { timeoutMs: 60_000, what: 'the late events in the warehouse' },
    );
    const before = [...events, ...ingested];
    const after = [...before, ...late];
    // Until the night, the closed day's document stands.
    expect((await admin(`/v1/metrics?date=${yesterday}`)).body).toEqual(
      expectedMetrics(before, [yesterday]),
    );

    await pipeline.pubsub
      .topic(topics.metricsRecompute.name)
      .publishMessage({ data: Buffer.from('{}') });
    await eventually(async () => (metricsDocs.saves.length === 2 ? true : undefined), {
      what: 'the nightly recomputation',
    });
    expect(metricsDocs.saves[1]).toEqual({ days: 7, sites: 9 });
    expect((await admin(`/v1/metrics?from=${closedDays[0]}&to=${yesterday}`)).body).toEqual(
      expectedMetrics(after, closedDays),
    );
    for (const date of closedDays) {
      for (const siteId of sites) {
        expect((await admin(`/v1/stats?siteId=${siteId}&date=${date}`)).body).toEqual(
          expectedStats(after, siteId, date),
        );
      }
    }
  }, 120_000);
});
