import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../infra/spec.ts';
import { runLoader } from '../../functions/src/warehouse/loadWarehouse.ts';
import { seedFailedEvent } from '../support/failedEvents.ts';
import { SwitchablePublisher } from '../support/injectedFaults.ts';
import {
  eventually,
  postJson,
  startTestPipeline,
  waitForStatus,
  type TestPipeline,
} from '../support/pipeline.ts';
import { TestReceiver } from '../support/receiver.ts';
import { loaderDeps } from '../../functions/src/entries/warehouse.ts';

type Json = Record<string, unknown> & {
  success?: boolean;
  message?: string;
  error?: { code: string; message: string; fields?: { field: string; message: string }[] };
};

const json = async (response: Response) => (await response.json()) as Json;

/**
 * The APIs of the systems Tributary replaces, served by the same functions against the
 * emulators: their answers, their refusals (each naming its field, in their shape),
 * and that nothing is counted twice.
 */
describe('the dialects of the systems Tributary replaces', () => {
  let pipeline: TestPipeline;
  let publisher: SwitchablePublisher;
  let receiver: TestReceiver;
  let key: Record<string, string>;
  let admin: Record<string, string>;

  beforeAll(async () => {
    pipeline = await startTestPipeline({
      label: 'dialects',
      env: { WEBHOOK_ENDPOINT_CACHE_SECONDS: '1' },
      overrides: (base) => {
        publisher = new SwitchablePublisher(base.publisher);
        return { publisher };
      },
    });
    receiver = await TestReceiver.start();
    key = { authorization: `Bearer ${pipeline.apiKey}` };
    admin = { authorization: `Bearer ${pipeline.adminToken}` };
  });
  afterAll(async () => {
    await pipeline.close();
    await receiver.close();
  });

  const ingest = (path: string, body: unknown, headers: Record<string, string> = key) =>
    postJson(`${pipeline.urls.ingest}${path}`, body, headers);
  const get = (path: string, headers: Record<string, string> = admin) =>
    fetch(`${pipeline.urls.api}${path}`, { headers });
  const published = () => publisher.attempts.get(topics.events.name) ?? 0;
  const loadWarehouse = () => runLoader(loaderDeps(pipeline.runtime));
  const upload = (csv: string, headers: Record<string, string> = key) => {
    const form = new FormData();
    form.append('file', new Blob([csv], { type: 'text/csv' }), 'events.csv');
    return fetch(`${pipeline.urls.api}/uploads`, { method: 'POST', headers, body: form });
  };

  describe('website analytics backend', () => {
    const event = {
      site_id: 'site-abc-123',
      event_type: 'page_view',
      path: '/pricing',
      user_id: 'user-xyz-789',
      timestamp: '2025-11-12T19:30:01Z',
    };

    it('takes POST /event with 202 and counts page_view in GET /stats and /v1/stats', async () => {
      const answers = await Promise.all([
        ingest('/event', event),
        ingest('/event', { ...event, user_id: 'user-2', path: '/blog/post-1' }),
        ingest('/event', { ...event, user_id: 'user-2' }),
        ingest('/event', { ...event, timestamp: '2025-11-13T08:00:00Z' }),
      ]);
      expect(answers.map((r) => r.status)).toEqual([202, 202, 202, 202]);
      const bodies = await Promise.all(answers.map(json));
      expect(bodies[0]).toEqual({ success: true, eventId: expect.any(String) });
      await Promise.all(bodies.map((b) => waitForStatus(pipeline, String(b.eventId), 'PROCESSED')));
      await loadWarehouse();

      const day = await json(await get('/stats?site_id=site-abc-123&date=2025-11-12'));
      expect(day).toEqual({
        site_id: 'site-abc-123',
        date: '2025-11-12',
        total_views: 3,
        unique_users: 2,
        top_paths: [
          { path: '/pricing', views: 2 },
          { path: '/blog/post-1', views: 1 },
        ],
      });
      const allDays = await json(await get('/stats?site_id=site-abc-123'));
      expect(allDays).toMatchObject({ date: null, total_views: 4, unique_users: 2 });
      const ours = await json(await get('/v1/stats?siteId=site-abc-123&date=2025-11-12'));
      expect(ours).toMatchObject({ totalViews: 3, uniqueUsers: 2 });
    });

    it.each([
      ['no site_id', { event_type: 'page_view' }, 'site_id'],
      ['no event_type', { site_id: 's' }, 'event_type'],
      ['an invalid timestamp', { ...event, timestamp: 'yesterday' }, 'timestamp'],
      ['an unknown field', { ...event, referer: 'x' }, '(root)'],
    ])('refuses %s with 400 naming it, publishing nothing', async (_, body, field) => {
      const before = published();
      const response = await ingest('/event', body);
      expect(response.status).toBe(400);
      const answer = await json(response);
      expect(answer.success).toBe(false);
      expect(answer.error?.fields?.map((f) => f.field)).toEqual([field]);
      expect(published()).toBe(before);
    });

    it('answers 401 without the key, and 400 naming a stats parameter it never had', async () => {
      const unauthenticated = await ingest('/event', event, {});
      expect(unauthenticated.status).toBe(401);
      expect((await json(unauthenticated)).success).toBe(false);
      const noSite = await get('/stats?date=2025-11-12');
      expect(noSite.status).toBe(400);
      expect((await json(noSite)).error?.fields?.map((f) => f.field)).toEqual(['site_id']);
      const unknown = await get('/stats?siteId=s');
      expect((await json(unknown)).error?.fields?.map((f) => f.field)).toContain('siteId');
      expect((await get('/stats?site_id=s', {})).status).toBe(401);
    });
  });

  describe('EventFlow', () => {
    it('takes POST /events with 201, and shows the event with its payload once processed', async () => {
      const body = {
        eventType: 'user.signup',
        payload: { userId: '123', email: 'user@example.com' },
        metadata: { source: 'web', version: '1.0' },
      };
      const response = await ingest('/events', body);
      expect(response.status).toBe(201);
      const created = await json(response);
      expect(created).toEqual({
        success: true,
        eventId: expect.any(String),
        message: 'Event received and queued for processing',
      });
      await waitForStatus(pipeline, String(created.eventId), 'PROCESSED');
      await loadWarehouse();
      const shown = await json(await get(`/admin/events/${String(created.eventId)}`));
      expect(shown).toMatchObject({
        id: created.eventId,
        eventType: 'user.signup',
        payload: body.payload,
        metadata: body.metadata,
        status: 'PROCESSED',
        retryCount: 1,
      });
      const ours = await json(await get(`/v1/events/${String(created.eventId)}`));
      expect(ours).toMatchObject({ payload: body.payload, metadata: body.metadata });
    });

    it('pages failed events, replays one, and refuses a processed one with 409 and its reason', async () => {
      const failed = await Promise.all(
        [0, 1, 2].map((i) =>
          seedFailedEvent(pipeline, {
            status: i === 0 ? 'FAILED' : 'DEAD_LETTER',
            failedAt: new Date(Date.now() - i * 1000),
            envelope: { eventType: 'order.placed', payload: { order: i } },
          }),
        ),
      );
      const page = await json(await get('/admin/events/failed?page=2&limit=2'));
      expect(page.pagination).toEqual({ page: 2, limit: 2, total: 3, totalPages: 2 });
      expect((page.events as { id: string }[]).map((e) => e.id)).toEqual([failed[2]!.eventId]);

      const replayed = await postJson(
        `${pipeline.urls.api}/admin/events/${failed[1]!.eventId}/replay`,
        {},
        admin,
      );
      expect(replayed.status).toBe(200);
      expect(await json(replayed)).toMatchObject({
        success: true,
        message: 'Event queued for replay',
        event: { id: failed[1]!.eventId, status: 'QUEUED', payload: { order: 1 } },
      });
      await waitForStatus(pipeline, failed[1]!.eventId, 'PROCESSED');
      const again = await postJson(
        `${pipeline.urls.api}/admin/events/${failed[1]!.eventId}/replay`,
        {},
        admin,
      );
      expect(again.status).toBe(409);
      expect(await json(again)).toMatchObject({
        success: false,
        message: 'The event is already processed.',
        error: { code: 'not_replayable' },
      });
      const missing = await postJson(`${pipeline.urls.api}/admin/events/nope/replay`, {}, admin);
      expect(missing.status).toBe(404);
    });

    it('answers /admin/metrics and /health in its shapes', async () => {
      const metrics = await json(await get('/admin/metrics'));
      expect(metrics).toMatchObject({
        summary: { processing: 0 },
        processingStats: { totalProcessed: expect.any(Number) },
      });
      const summary = metrics.summary as Record<string, number>;
      expect(summary.total).toBe(
        summary.pending! + summary.processed! + summary.failed! + summary.deadLetter!,
      );
      for (const url of [pipeline.urls.api, pipeline.urls.ingest]) {
        const health = await json(await fetch(`${url}/health`));
        expect(health).toEqual({ status: 'ok', timestamp: expect.any(String) });
        expect(Math.abs(Date.parse(String(health.timestamp)) - Date.now())).toBeLessThan(60_000);
      }
      expect((await get('/admin/metrics', {})).status).toBe(401);
    });
  });

  describe('webhook event relay', () => {
    const body = { eventType: 'job.created', payload: { jobId: 'job_123', title: 'Engineer' } };

    it('takes an event once per x-idempotency-key, and shows it with its delivery logs', async () => {
      const endpoint = await postJson(
        `${pipeline.urls.api}/v1/webhook-endpoints`,
        { url: receiver.url('/relay'), eventTypes: ['job.*'] },
        admin,
      );
      expect(endpoint.status).toBe(201);
      // The fan-out reads the endpoint list at most every second here; let it see this one.
      await new Promise((resolve) => setTimeout(resolve, 1_500));

      const headers = { ...key, 'x-idempotency-key': 'job-123-created' };
      const first = await ingest('/api/v1/events', body, headers);
      expect(first.status).toBe(202);
      const accepted = await json(first);
      expect(accepted).toEqual({
        success: true,
        message: 'Event accepted and queued for processing',
        eventId: expect.any(String),
        eventType: 'job.created',
        idempotencyKey: 'job-123-created',
        receivedAt: expect.any(String),
        processingTimeMs: expect.any(Number),
      });
      for (const resent of [body, { ...body, payload: { jobId: 'other' } }]) {
        const duplicate = await ingest('/api/v1/events', resent, headers);
        expect(duplicate.status).toBe(409);
        expect(await json(duplicate)).toMatchObject({ success: false, eventId: accepted.eventId });
      }
      await eventually(async () => (receiver.received('/relay').length > 0 ? true : undefined));
      await waitForStatus(pipeline, String(accepted.eventId), 'PROCESSED');
      await loadWarehouse();
      const shown = await eventually(async () => {
        const answer = await json(await get(`/api/v1/events/${String(accepted.eventId)}`));
        const event = answer.event as { deliveryLogs: unknown[] };
        return event.deliveryLogs.length > 0 ? answer : undefined;
      });
      expect(shown).toMatchObject({
        success: true,
        event: {
          id: accepted.eventId,
          eventType: 'job.created',
          idempotencyKey: 'job-123-created',
          payload: body.payload,
        },
      });
      const logs = (shown.event as { deliveryLogs: Json[] }).deliveryLogs;
      expect(logs[0]).toMatchObject({ statusCode: 200, outcome: 'delivered' });
      // The repeats added no event: one processed, and every request the receiver got
      // carries that event's webhook-id (a repeat in flight at the same moment as the
      // first may be sent too, with the same id, for the receiver to deduplicate).
      const record = await waitForStatus(pipeline, String(accepted.eventId), 'PROCESSED');
      expect(record.attempts).toBe(1);
      const ids = new Set(receiver.received('/relay').map((r) => r.headers['webhook-id']));
      expect([...ids]).toEqual([accepted.eventId]);
    });

    it('refuses an event without x-idempotency-key with 400 naming it', async () => {
      const before = published();
      const response = await ingest('/api/v1/events', body);
      expect(response.status).toBe(400);
      expect((await json(response)).error?.fields).toEqual([
        { field: 'x-idempotency-key', message: 'required' },
      ]);
      expect(published()).toBe(before);
      const missing = await get('/api/v1/events/no-such-event');
      expect(missing.status).toBe(404);
      expect((await json(missing)).success).toBe(false);
    });
  });

  describe('Event Metrics service', () => {
    it('takes a CSV upload, reports the batch, counts it in GET /metrics, and lists the DLQ', async () => {
      const csv = [
        'event_id,event_type,timestamp,user_id,score',
        'm-1,test_started,2025-11-10T10:00:00Z,u-1,7',
        'm-2,test_started,2025-11-10T11:00:00Z,u-2,',
        'm-3,test_completed,2025-11-10T12:00:00Z,u-1,9',
        'm-4,test_started,not a time,u-3,',
      ].join('\n');
      const response = await upload(csv);
      expect(response.status).toBe(200);
      const batch = await json(response);
      expect(batch).toMatchObject({
        batch_id: expect.any(String),
        inserted_count: 3,
        failed_count: 1,
        errors: [{ row: 5, field: 'timestamp' }],
      });
      const processed = await postJson(
        `${pipeline.urls.api}/batches/${String(batch.batch_id)}/process`,
        {},
        key,
      );
      expect(await json(processed)).toEqual({
        message: expect.stringContaining('completed'),
        batchId: batch.batch_id,
      });
      const resent = await json(await upload(csv));
      expect(resent).toMatchObject({ inserted_count: 0, duplicate_count: 3, failed_count: 1 });

      await eventually(async () => {
        await loadWarehouse();
        const metrics = await json(await get('/metrics?date=2025-11-10'));
        const day = (metrics.data as { metrics: { event_type: string; count: number }[] }[])[0];
        return day?.metrics.length === 2 ? metrics : undefined;
      });
      const metrics = await json(await get('/metrics?from=2025-11-09&to=2025-11-10'));
      expect(metrics).toEqual({
        count: 2,
        data: [
          { date: '2025-11-09', metrics: [] },
          {
            date: '2025-11-10',
            metrics: [
              { event_type: 'test_started', count: 2 },
              { event_type: 'test_completed', count: 1 },
            ],
          },
        ],
      });
      const filtered = await json(await get('/metrics?date=2025-11-10&event_type=test_started'));
      expect(filtered.data).toEqual([
        { date: '2025-11-10', metrics: [{ event_type: 'test_started', count: 2 }] },
      ]);

      const dead = await seedFailedEvent(pipeline, { status: 'DEAD_LETTER' });
      const dlq = await json(await get('/admin/queues/event-processing/dlq'));
      expect(dlq).toMatchObject({ queue: 'event-processing' });
      expect(dlq.failed_count).toBeGreaterThanOrEqual(1);
      expect((dlq.jobs as { id: string }[]).map((j) => j.id)).toContain(dead.eventId);
    });

    it('refuses a metrics parameter it never had, an unknown batch and a missing key', async () => {
      const unknown = await get('/metrics?eventType=test_started');
      expect(unknown.status).toBe(400);
      expect((await json(unknown)).error?.fields?.map((f) => f.field)).toEqual(['eventType']);
      const badType = await get('/metrics?event_type=Test%20Started');
      expect((await json(badType)).error?.fields?.map((f) => f.field)).toEqual(['event_type']);
      // `from` alone runs to today; more than a year of it is refused, naming from.
      const tooLong = await get('/metrics?from=2000-01-01');
      expect(tooLong.status).toBe(400);
      expect((await json(tooLong)).error?.fields?.map((f) => f.field)).toEqual(['from']);
      const noBatch = await postJson(`${pipeline.urls.api}/batches/nope/process`, {}, key);
      expect(noBatch.status).toBe(404);
      expect((await upload('event_type\ntest_started\n', {})).status).toBe(401);
      const console = await fetch(`${pipeline.urls.api}/`);
      expect(console.status).toBe(200);
      expect(console.headers.get('content-type')).toMatch(/^text\/html/);
    });
  });

  describe('Google Workspace → webhook service', () => {
    it('creates, lists, reads, updates and deletes a source under /api/sources', async () => {
      const created = await postJson(
        `${pipeline.urls.api}/api/sources`,
        {
          sourceType: 'google_workspace',
          credentials: {
            client_id: 'your_client_id',
            client_secret: 'your_client_secret',
            refresh_token: 'your_refresh_token',
          },
          callbackUrl: receiver.url('/logs'),
          logFetchInterval: 30,
        },
        admin,
      );
      expect(created.status).toBe(201);
      const source = await json(created);
      const id = String(source.id);
      expect(source).toMatchObject({ logFetchInterval: 30, callbackUrl: receiver.url('/logs') });
      const list = await json(await get('/api/sources'));
      expect((list.sources as { id: string }[]).map((s) => s.id)).toContain(id);
      expect(await json(await get(`/api/sources/${id}`))).toMatchObject({ id });
      const updated = await fetch(`${pipeline.urls.api}/api/sources/${id}`, {
        method: 'PUT',
        headers: { ...admin, 'content-type': 'application/json' },
        body: JSON.stringify({ callbackUrl: receiver.url('/new-logs'), logFetchInterval: 60 }),
      });
      expect(await json(updated)).toMatchObject({
        callbackUrl: receiver.url('/new-logs'),
        logFetchInterval: 60,
      });
      const deleted = await fetch(`${pipeline.urls.api}/api/sources/${id}`, {
        method: 'DELETE',
        headers: admin,
      });
      expect(deleted.status).toBe(204);
      expect((await get(`/api/sources/${id}`)).status).toBe(404);
      expect((await get('/api/sources', {})).status).toBe(401);
    });
  });
});
