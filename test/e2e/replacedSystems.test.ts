import type { ChildProcess } from 'node:child_process';
import { PubSub } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../infra/spec.ts';
import type { LocalStackInfo } from '../../scripts/lib/localStack.ts';
import { runScript, startNpmStart, stopNpmStart } from '../support/npmStart.ts';
import { eventually } from '../support/pipeline.ts';
import { TestReceiver } from '../support/receiver.ts';

type Json = Record<string, unknown>;

const send = (
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
) =>
  fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
const json = async (response: Response) => (await response.json()) as Json;

/**
 * A user of each system Tributary replaces, against `npm start`: every request example
 * of that system's README (`../shared/seeds/`), sent as written there with only the
 * base URL changed and Tributary's credential added, and the answers and effects the
 * README documents. Dates the README gives relative to today are the only other change.
 */
describe('the systems Tributary replaces, against npm start', () => {
  let stack: ChildProcess;
  let stateDir: string;
  let info: LocalStackInfo;
  let receiver: TestReceiver;

  beforeAll(async () => {
    const started = await startNpmStart('replaced');
    ({ stateDir, info } = started);
    stack = started.process;
    receiver = await TestReceiver.start();
  });
  afterAll(async () => {
    await receiver.close();
    await stopNpmStart(stack, stateDir);
  });

  const apiKey = () => ({ authorization: `Bearer ${info.apiKey}` });
  const admin = () => ({ authorization: `Bearer ${info.adminToken}` });

  /** The status Tributary records, through the operators' API. */
  const processed = (eventId: string) =>
    eventually(
      async () => {
        const response = await send(info.apiUrl, 'GET', `/v1/events/${eventId}`, admin());
        const body = response.status === 200 ? await json(response) : undefined;
        return body?.status === 'PROCESSED' ? body : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250, what: `${eventId} to be PROCESSED` },
    );

  /** Loads the warehouse now (as the minute schedule would) and waits for `count` events of a producer query. */
  async function loaded(where: string, count: number): Promise<void> {
    expect((await runScript(stateDir, 'job.ts', ['load-warehouse'])).code).toBe(0);
    await eventually(
      async () => {
        const result = await runScript(stateDir, 'sql.ts', [
          `SELECT COUNT(DISTINCT event_id) AS n FROM tributary.events WHERE ${where}`,
          '--json',
        ]);
        if (result.code !== 0) return undefined;
        const { n } = JSON.parse(result.output.trim().split('\n').pop()!) as { n: string };
        return Number(n) >= count ? true : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 2000, what: `${count} events where ${where}` },
    );
  }

  it('Website analytics backend: POST /event, the Postman checks, and GET /stats', async () => {
    const readmeEvent = {
      site_id: 'site-abc-123',
      event_type: 'page_view',
      path: '/pricing',
      user_id: 'user-xyz-789',
      timestamp: '2025-11-12T19:30:01Z',
    };
    // 1) POST /event, a valid payload → success.
    const accepted = await send(info.ingestUrl, 'POST', '/event', apiKey(), readmeEvent);
    expect(accepted.status).toBe(202);
    const { success, eventId } = await json(accepted);
    expect(success).toBe(true);
    // 2) missing site_id → 400; 3) invalid timestamp → 400.
    const { site_id: _omitted, ...withoutSite } = readmeEvent;
    for (const [body, field] of [
      [withoutSite, 'site_id'],
      [{ ...readmeEvent, timestamp: 'not-a-time' }, 'timestamp'],
    ] as const) {
      const refused = await send(info.ingestUrl, 'POST', '/event', apiKey(), body);
      expect(refused.status).toBe(400);
      const answer = (await json(refused)) as { success: boolean; error: { fields: Json[] } };
      expect(answer.success).toBe(false);
      expect(answer.error.fields.map((f) => f.field)).toEqual([field]);
    }
    // 4) bulk ingestion: 100 events, every answer a success.
    const paths = ['/pricing', '/blog/post-1', '/'];
    const bulk = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        send(info.ingestUrl, 'POST', '/event', apiKey(), {
          ...readmeEvent,
          path: paths[i % 3],
          user_id: `user-${i % 10}`,
        }),
      ),
    );
    expect(bulk.map((r) => r.status)).toEqual(Array.from({ length: 100 }, () => 202));
    // 5) the worker took them: PROCESSED.
    await processed(String(eventId));
    await loaded("site_id = 'site-abc-123'", 101);
    // 6) GET /stats: the counts match what was sent.
    const stats = await send(
      info.apiUrl,
      'GET',
      '/stats?site_id=site-abc-123&date=2025-11-12',
      admin(),
    );
    expect(stats.status).toBe(200);
    expect(await json(stats)).toEqual({
      site_id: 'site-abc-123',
      date: '2025-11-12',
      total_views: 101,
      unique_users: 11,
      top_paths: [
        { path: '/pricing', views: 35 },
        { path: '/', views: 33 },
        { path: '/blog/post-1', views: 33 },
      ],
    });
    const allDays = await json(
      await send(info.apiUrl, 'GET', '/stats?site_id=site-abc-123', admin()),
    );
    expect(allDays).toMatchObject({ date: null, total_views: 101, unique_users: 11 });
  });

  it('EventFlow: POST /events, the admin routes and /health', async () => {
    const created = await send(info.ingestUrl, 'POST', '/events', apiKey(), {
      eventType: 'user.signup',
      payload: { userId: '123', email: 'user@example.com', timestamp: '2024-01-01T00:00:00Z' },
      metadata: { source: 'web', version: '1.0' },
    });
    expect(created.status).toBe(201);
    const answer = await json(created);
    expect(answer).toEqual({
      success: true,
      eventId: expect.any(String),
      message: 'Event received and queued for processing',
    });
    const eventId = String(answer.eventId);
    await processed(eventId);

    // A message no processor can read lands among the failed events at once.
    const pubsub = new PubSub({
      projectId: info.projectId,
      apiEndpoint: info.pubsubEmulatorHost,
      emulatorMode: true,
    });
    await pubsub.topic(topics.events.name).publishMessage({ data: Buffer.from('not an event') });
    await pubsub.close();
    const failed = await eventually(
      async () => {
        const page = await json(
          await send(info.apiUrl, 'GET', '/admin/events/failed?page=1&limit=50', admin()),
        );
        return (page.events as Json[]).length > 0 ? page : undefined;
      },
      { timeoutMs: 30_000, what: 'a failed event' },
    );
    expect(failed.pagination).toEqual({ page: 1, limit: 50, total: 1, totalPages: 1 });
    const poison = (failed.events as Json[])[0]!;
    expect(poison).toMatchObject({ status: 'DEAD_LETTER' });

    await loaded(`event_id = '${eventId}'`, 1);
    const shown = await json(await send(info.apiUrl, 'GET', `/admin/events/${eventId}`, admin()));
    expect(shown).toMatchObject({
      id: eventId,
      eventType: 'user.signup',
      payload: { userId: '123', email: 'user@example.com' },
      metadata: { source: 'web', version: '1.0' },
      status: 'PROCESSED',
    });
    // Replay: a processed event, and a message that never was an event, are refused with why.
    for (const [id, reason] of [
      [eventId, 'already processed'],
      [String(poison.id), 'never parsed'],
    ]) {
      const replay = await send(info.apiUrl, 'POST', `/admin/events/${id}/replay`, admin());
      expect(replay.status).toBe(409);
      const refusal = (await json(replay)) as { success: boolean; message: string };
      expect(refusal.success).toBe(false);
      expect(refusal.message).toContain(reason);
    }
    const metrics = await json(await send(info.apiUrl, 'GET', '/admin/metrics', admin()));
    expect(metrics).toMatchObject({
      summary: { deadLetter: 1, processing: 0 },
      eventsByType: expect.arrayContaining([{ eventType: 'user.signup', count: 1 }]),
      processingStats: { totalProcessed: expect.any(Number) },
    });
    const health = await json(await send(info.apiUrl, 'GET', '/health', {}));
    expect(health).toEqual({ status: 'ok', timestamp: expect.any(String) });
  });

  it('Event Metrics service: the UI, a CSV upload, processing a batch, GET /metrics and the DLQ', async () => {
    const ui = await fetch(`${info.apiUrl}/`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('<html');

    const today = new Date().toISOString().slice(0, 10);
    const csv = [
      'event_id,event_type,timestamp,user_id,note',
      'em-1,test_started,2025-11-10T09:00:00Z,u-1,first',
      'em-2,test_started,2025-11-10T09:30:00Z,u-2,',
      'em-3,test_completed,2025-11-10T10:00:00Z,u-1,passed',
      `em-4,test_started,${today}T00:00:01Z,u-3,`,
      'em-5,test_started,,u-4,no time: now',
      'em-6,Test Started,2025-11-10T11:00:00Z,u-5,',
    ].join('\n');
    const upload = async () => {
      const form = new FormData();
      form.append('file', new Blob([csv], { type: 'text/csv' }), 'events.csv');
      return fetch(`${info.apiUrl}/uploads`, { method: 'POST', headers: apiKey(), body: form });
    };
    const uploaded = await upload();
    expect(uploaded.status).toBe(200);
    const batch = await json(uploaded);
    expect(batch).toMatchObject({
      batch_id: expect.any(String),
      inserted_count: 5,
      failed_count: 1,
      errors: [{ row: 7, field: 'event_type' }],
    });
    const processing = await send(
      info.apiUrl,
      'POST',
      `/batches/${String(batch.batch_id)}/process`,
      apiKey(),
    );
    expect(await json(processing)).toEqual({
      message: expect.stringContaining('processed at upload'),
      batchId: batch.batch_id,
    });
    // The same file again: its event_ids make it the same events, counted once.
    expect(await json(await upload())).toMatchObject({ inserted_count: 0, duplicate_count: 5 });

    await loaded("event_type IN ('test_started', 'test_completed')", 5);
    const metrics = (query: string) =>
      send(info.apiUrl, 'GET', `/metrics?${query}`, admin()).then(json);
    const day = [
      {
        date: '2025-11-10',
        metrics: [
          { event_type: 'test_started', count: 2 },
          { event_type: 'test_completed', count: 1 },
        ],
      },
    ];
    await eventually(async () =>
      JSON.stringify((await metrics('date=2025-11-10')).data) === JSON.stringify(day)
        ? true
        : undefined,
    );
    expect(await metrics('date=2025-11-10')).toEqual({ count: 1, data: day });
    // `from` alone runs to today (the README's from-date, moved into this month).
    const fromOnly = await metrics(`from=${today.slice(0, 8)}01`);
    const data = fromOnly.data as { date: string; metrics: Json[] }[];
    expect(data.at(-1)?.date).toBe(today);
    expect(data.flatMap((d) => d.metrics)).toEqual(
      expect.arrayContaining([{ event_type: 'test_started', count: expect.any(Number) }]),
    );
    const range = await metrics('from=2025-11-01&to=2025-11-10');
    expect(range.count).toBe(10);
    expect((range.data as Json[]).at(-1)).toEqual(day[0]);
    expect((await metrics('event_type=test_started')).data).toEqual([
      { date: today, metrics: [{ event_type: 'test_started', count: 2 }] },
    ]);
    const both = await metrics('from=2025-11-01&to=2025-11-10&event_type=test_started');
    expect((both.data as Json[]).at(-1)).toEqual({
      date: '2025-11-10',
      metrics: [{ event_type: 'test_started', count: 2 }],
    });
    const dlq = await json(
      await send(info.apiUrl, 'GET', '/admin/queues/event-processing/dlq', admin()),
    );
    expect(dlq).toMatchObject({ queue: 'event-processing', jobs: expect.any(Array) });
    expect(dlq.failed_count).toBe((dlq.jobs as Json[]).length);
  });

  it('Webhook event relay: POST /api/v1/events with x-idempotency-key, the duplicate, and GET with delivery logs', async () => {
    const endpoint = await send(info.apiUrl, 'POST', '/v1/webhook-endpoints', admin(), {
      url: receiver.url('/algohire'),
      eventTypes: ['job.*'],
    });
    expect(endpoint.status).toBe(201);
    // processEvent reads the endpoint list at most every 10 s.
    await new Promise((resolve) => setTimeout(resolve, 11_000));

    const readmeBody = {
      eventType: 'job.created',
      payload: {
        jobId: 'job_123',
        title: 'Senior Software Engineer',
        company: 'TechCorp',
        location: 'San Francisco, CA',
        salary: '$120,000 - $150,000',
        createdAt: '2024-01-10T10:00:00Z',
      },
    };
    const headers = { ...apiKey(), 'x-idempotency-key': 'job_123-created' };
    const accepted = await send(info.ingestUrl, 'POST', '/api/v1/events', headers, readmeBody);
    expect(accepted.status).toBe(202);
    const answer = await json(accepted);
    expect(answer).toEqual({
      success: true,
      message: 'Event accepted and queued for processing',
      eventId: expect.any(String),
      eventType: 'job.created',
      idempotencyKey: 'job_123-created',
      receivedAt: expect.any(String),
      processingTimeMs: expect.any(Number),
    });
    const duplicate = await send(info.ingestUrl, 'POST', '/api/v1/events', headers, readmeBody);
    expect(duplicate.status).toBe(409);
    expect(await json(duplicate)).toMatchObject({ success: false, eventId: answer.eventId });

    const eventId = String(answer.eventId);
    await processed(eventId);
    await loaded(`event_id = '${eventId}'`, 1);
    const shown = await eventually(
      async () => {
        const body = await json(
          await send(info.apiUrl, 'GET', `/api/v1/events/${eventId}`, admin()),
        );
        const logs = (body.event as { deliveryLogs: Json[] }).deliveryLogs;
        return logs.some((log) => log.outcome === 'delivered') ? body : undefined;
      },
      { timeoutMs: 60_000, what: 'the delivery log' },
    );
    expect(shown).toMatchObject({
      success: true,
      event: {
        id: eventId,
        eventType: 'job.created',
        idempotencyKey: 'job_123-created',
        payload: readmeBody.payload,
        receivedAt: answer.receivedAt,
      },
    });
    // The receiver got that one event, signed; a repeat in flight at the same moment as
    // the first may be delivered too, with the same webhook-id to deduplicate on.
    const requests = receiver.received('/algohire');
    expect(new Set(requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([eventId]));
    expect(requests[0]!.headers['webhook-signature']).toMatch(/^v1,/);
  });

  it('Google Workspace → webhook service: /api/sources create, list, get, update, delete', async () => {
    const readmeSource = {
      sourceType: 'google_workspace',
      credentials: {
        client_id: 'your_client_id',
        client_secret: 'your_client_secret',
        refresh_token: 'your_refresh_token',
      },
      callbackUrl: 'https://your-webhook.com/logs',
      logFetchInterval: 30,
    };
    // The README's placeholder host resolves nowhere: refused, naming the field.
    const placeholder = await send(info.apiUrl, 'POST', '/api/sources', admin(), readmeSource);
    expect(placeholder.status).toBe(400);
    const refusal = (await json(placeholder)) as { error: { fields: Json[] } };
    expect(refusal.error.fields.map((f) => f.field)).toEqual(['callbackUrl']);

    const created = await send(info.apiUrl, 'POST', '/api/sources', admin(), {
      ...readmeSource,
      callbackUrl: receiver.url('/logs'),
    });
    expect(created.status).toBe(201);
    const source = await json(created);
    const id = String(source.id);
    expect(source).toMatchObject({
      sourceType: 'google_workspace',
      logFetchInterval: 30,
      callbackUrl: receiver.url('/logs'),
      credentials: { set: true },
    });
    expect(JSON.stringify(source)).not.toContain('your_client_secret');
    const all = await json(await send(info.apiUrl, 'GET', '/api/sources', admin()));
    expect((all.sources as Json[]).map((s) => s.id)).toContain(id);
    expect(await json(await send(info.apiUrl, 'GET', `/api/sources/${id}`, admin()))).toMatchObject(
      {
        id,
      },
    );
    const updated = await send(info.apiUrl, 'PUT', `/api/sources/${id}`, admin(), {
      callbackUrl: receiver.url('/new-logs'),
      logFetchInterval: 60,
    });
    expect(updated.status).toBe(200);
    expect(await json(updated)).toMatchObject({
      callbackUrl: receiver.url('/new-logs'),
      logFetchInterval: 60,
    });
    const deleted = await send(info.apiUrl, 'DELETE', `/api/sources/${id}`, admin());
    expect(deleted.status).toBe(204);
    expect((await send(info.apiUrl, 'GET', `/api/sources/${id}`, admin())).status).toBe(404);
  });
});
