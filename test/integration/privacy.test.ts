import { randomUUID } from 'node:crypto';
import type { DocumentReference, Firestore } from '@google-cloud/firestore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collections, topics } from '../../infra/spec.ts';
import { loaderDeps } from '../../functions/src/entries/warehouse.ts';
import { eventMessage } from '../../functions/src/lib/eventMessages.ts';
import { runLoader } from '../../functions/src/warehouse/loadWarehouse.ts';
import { verifyWebhook } from '../../functions/src/webhooks/verifyWebhook.ts';
import { sleep } from '../../scripts/lib/emulators.ts';
import { adminHeaders } from '../support/failedEvents.ts';
import { eventually, postJson, startTestPipeline, type TestPipeline } from '../support/pipeline.ts';
import { TestReceiver } from '../support/receiver.ts';
import { activity, ReportsApiServer } from '../support/reportsApiServer.ts';

/**
 * One person's events through our API (single with a key, batch), the tracking API (by
 * userId, and by anonymousId alone), a CSV upload, a Google Workspace sign-in, a quarantined one, a dead-lettered one,
 * and deliveries still retrying; another person's beside them. After SUPPRESS_WITH_DELETE
 * (and a DELETE of the anonymousId) the regulations finish within 60 s, and a scan of
 * DuckDB and every Firestore document finds neither id; the other person's data is whole.
 */

const listSeconds = 2;

describe('privacy regulations: erasure and suppression across every store', () => {
  let pipeline: TestPipeline;
  let receiver: TestReceiver;
  let google: ReportsApiServer;
  const clientSecret = `cs-${randomUUID()}`;
  const refreshToken = `rt-${randomUUID()}`;
  let secret: string;
  const person = `erase-me-${randomUUID()}@example.com`;
  const anonymous = `anon-${randomUUID()}`;
  const other = `keep-me-${randomUUID()}@example.com`;
  const personEventIds: string[] = [];
  const admin = () => adminHeaders(pipeline);
  const auth = () => ({ authorization: `Bearer ${pipeline.apiKey}` });
  const basic = () => ({
    authorization: `Basic ${Buffer.from(`${pipeline.apiKey}:`).toString('base64')}`,
  });

  beforeAll(async () => {
    google = await ReportsApiServer.start();
    google.allowRefreshToken(refreshToken, 'client-1', clientSecret);
    pipeline = await startTestPipeline({
      label: 'privacy',
      env: {
        PRIVACY_LIST_CACHE_SECONDS: String(listSeconds),
        TRACKING_PLAN_CACHE_SECONDS: '1',
        WORKSPACE_API_ROOT_URL: google.rootUrl,
        WORKSPACE_TOKEN_URL: google.tokenUrl,
      },
    });
    receiver = await TestReceiver.start();
    // Orders are delivered; refunds are refused by the receiver and keep retrying.
    receiver.behave('/refunds', () => 503);
    const endpoints = [
      { url: receiver.url('/orders'), eventTypes: ['order.*', 'track.*'] },
      { url: receiver.url('/refunds'), eventTypes: ['refund.*'] },
      { url: receiver.url('/erased'), eventTypes: ['subject.erased'] },
    ];
    for (const endpoint of endpoints) {
      const response = await postJson(
        `${pipeline.urls.api}/v1/webhook-endpoints`,
        endpoint,
        admin(),
      );
      if (response.status !== 201) throw new Error(`endpoint not created: ${response.status}`);
      const body = (await response.json()) as { secret: string };
      if (endpoint.eventTypes[0] === 'subject.erased') secret = body.secret;
    }
    // Unplanned types are held back: the person's `oddity.seen` is quarantined.
    const plan = await postJson(
      `${pipeline.urls.api}/v1/admin/tracking-plan/import`,
      {
        settings: { unplanned: 'quarantine', violations: 'quarantine' },
        types: [
          'order.completed',
          'refund.requested',
          'track.page_read',
          'page.viewed',
          'catalog.row',
          'workspace.login.login_success',
        ].map((eventType) => ({ eventType, schema: { type: 'object' } })),
      },
      admin(),
    );
    if (plan.status !== 200) throw new Error(`plan not imported: ${plan.status}`);
    await sleep(1_500);
  });

  afterAll(async () => {
    // The other person's refund delivery retries until it succeeds: let it, so no push
    // is still arriving while the pipeline closes.
    receiver?.behave('/refunds', () => 200);
    await sleep(3_000);
    await pipeline?.close();
    await receiver?.close();
    await google?.close();
  });

  async function send(userId: string, tag: string): Promise<void> {
    const single = await postJson(
      `${pipeline.urls.ingest}/v1/events`,
      { eventType: 'order.completed', userId, payload: { email: userId, tag } },
      { ...auth(), 'idempotency-key': `${tag}-${userId}` },
    );
    expect(single.status).toBe(202);
    if (userId === person)
      personEventIds.push(((await single.json()) as { eventId: string }).eventId);
    const batch = await postJson(
      `${pipeline.urls.ingest}/v1/events/batch`,
      {
        events: [
          { eventType: 'refund.requested', userId, payload: { tag } },
          { eventType: 'oddity.seen', userId, payload: { tag } },
        ],
      },
      auth(),
    );
    expect(batch.status).toBe(202);
    const tracked = await postJson(
      `${pipeline.urls.ingest}/v1/batch`,
      {
        batch: [
          {
            type: 'track',
            event: 'Page Read',
            userId,
            properties: { tag },
            messageId: `${tag}-t-${userId}`,
          },
          ...(userId === person
            ? [{ type: 'page', anonymousId: anonymous, properties: { tag }, messageId: `${tag}-a` }]
            : []),
        ],
      },
      basic(),
    );
    expect(tracked.status).toBe(200);
    const form = new FormData();
    form.append(
      'file',
      new Blob([`eventType,userId,payload.note\ncatalog.row,${userId},${tag}\n`], {
        type: 'text/csv',
      }),
      'rows.csv',
    );
    const uploaded = await fetch(`${pipeline.urls.api}/v1/uploads`, {
      method: 'POST',
      headers: { ...auth(), 'x-forwarded-for': '203.0.113.90' },
      body: form,
    });
    expect(uploaded.status).toBe(200);
  }

  /** The person signs in to Google Workspace; the source's poll brings the activity in. */
  async function signIn(): Promise<void> {
    google.addActivities('login', [
      {
        ...activity('login', new Date(Date.now() - 10 * 60_000), `privacy-${randomUUID()}`),
        actor: { email: person, profileId: '2002', callerType: 'USER' },
      },
    ]);
    const created = await postJson(
      `${pipeline.urls.api}/v1/sources`,
      {
        sourceType: 'google_workspace',
        credentials: { type: 'oauth', clientId: 'client-1', clientSecret, refreshToken },
        applications: ['login'],
        lagSeconds: { login: 0 },
        logFetchInterval: 3600,
        startTime: new Date(Date.now() - 2 * 3_600_000).toISOString(),
      },
      admin(),
    );
    expect(created.status).toBe(201);
    await pipeline.pubsub
      .topic(topics.workspacePoll.name)
      .publishMessage({ data: Buffer.from('{}'), attributes: {} });
  }

  async function loadAll(): Promise<void> {
    for (;;) {
      const report = await runLoader(loaderDeps(pipeline.runtime));
      if (report.messages === 0) break;
    }
  }

  async function rowsOf(userId: string): Promise<number> {
    const [row] = await pipeline.runtime.warehouse.query(
      'SELECT COUNT(*) AS n FROM tributary.events WHERE user_id = $id',
      { id: userId },
    );
    return Number(row?.n);
  }

  async function regulate(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const filed = await postJson(`${pipeline.urls.api}/v1/admin/regulations`, body, admin());
    expect(filed.status).toBe(202);
    const { regulationId } = (await filed.json()) as { regulationId: string };
    return eventually(
      async () => {
        const response = await fetch(`${pipeline.urls.api}/v1/admin/regulations/${regulationId}`, {
          headers: admin(),
        });
        const regulation = (await response.json()) as Record<string, unknown>;
        return regulation.finishedAt ? regulation : undefined;
      },
      { what: 'the regulation to finish', timeoutMs: 60_000 },
    );
  }

  it('refuses regulations it cannot run, naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ type: 'FORGET', subjectKind: 'userId', subjects: ['a'] }, 'type'],
      [{ type: 'DELETE', subjectKind: 'email', subjects: ['a'] }, 'subjectKind'],
      [{ type: 'DELETE', subjectKind: 'userId', subjects: [] }, 'subjects'],
      [
        { type: 'DELETE', regulationType: 'DELETE_ONLY', subjectKind: 'userId', subjects: ['a'] },
        'regulationType',
      ],
      [{ type: 'DELETE', subjectKind: 'userId', subjects: ['a'], when: 'now' }, 'when'],
      [
        {
          type: 'DELETE',
          subjectKind: 'userId',
          subjects: Array.from({ length: 5_001 }, (_, i) => `u${i}`),
        },
        'subjects',
      ],
      [{ subjectKind: 'userId', subjects: ['a'] }, 'type'],
    ];
    for (const [body, field] of cases) {
      const response = await postJson(`${pipeline.urls.api}/v1/admin/regulations`, body, admin());
      expect({ body: JSON.stringify(body).slice(0, 80), status: response.status }).toMatchObject({
        status: 400,
      });
      const text = await response.text();
      expect(text).toContain(field);
      expect(text).not.toMatch(/\bat (?:async )?\S+ \(/);
    }
    const missing = await fetch(`${pipeline.urls.api}/v1/admin/regulations/${randomUUID()}`, {
      headers: admin(),
    });
    expect(missing.status).toBe(404);
  });

  it('erases a person from every store within 60 s, and nothing of anyone else', async () => {
    await send(person, 'before');
    await send(other, 'before');
    await signIn();
    // As if Pub/Sub had dead-lettered one of the person's events after its last attempt.
    const deadLettered = randomUUID();
    personEventIds.push(deadLettered);
    await pipeline.pubsub.topic(topics.eventsDeadLetter.name).publishMessage(
      eventMessage({
        eventId: deadLettered,
        eventType: 'order.completed',
        payload: { email: person },
        userId: person,
        occurredAt: new Date().toISOString(),
        receivedAt: new Date().toISOString(),
        source: 'api',
        producer: 'test',
      }),
    );
    await eventually(
      async () => {
        const statuses = await statusCounts(pipeline.firestore);
        return statuses.DEAD_LETTER === 1 && statuses.QUARANTINED === 2 && statuses.PROCESSED === 10
          ? true
          : undefined;
      },
      { what: 'both people’s events settled', timeoutMs: 30_000 },
    );
    await eventually(async () => (receiver.received('/refunds').length >= 2 ? true : undefined), {
      what: 'refund deliveries failing',
    });
    await loadAll();
    expect(await rowsOf(person)).toBe(5);
    expect(await rowsOf(anonymous)).toBe(1);
    const otherRows = await rowsOf(other);
    expect(otherRows).toBe(4);
    expect(await containsAnywhere(pipeline, [person, anonymous])).not.toEqual([]);

    const started = Date.now();
    const [byUser, byAnonymous] = await Promise.all([
      regulate({
        regulationType: 'SUPPRESS_WITH_DELETE',
        subjectType: 'USER_ID',
        subjectIds: [person],
      }),
      regulate({ type: 'DELETE', subjectKind: 'anonymousId', subjects: [anonymous] }),
    ]);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(byUser.status).toBe('FINISHED');
    expect(byAnonymous.status).toBe('FINISHED');
    const removed = Object.fromEntries(
      (byUser.receipts as { store: string; removed: number; error: string | null }[]).map((r) => [
        r.store,
        r.error ?? r.removed,
      ]),
    );
    expect(removed).toMatchObject({
      events: 7,
      warehouse: 5,
      idempotency: 1,
      receivers: 0,
      suppressionList: 0,
    });
    expect(removed.deliveries).toBeGreaterThanOrEqual(3);

    await loadAll();
    expect(await containsAnywhere(pipeline, [person, anonymous])).toEqual([]);
    expect(await rowsOf(other)).toBe(otherRows);
    const kept = await pipeline.firestore
      .collection(collections.events.name)
      .where('status', '==', 'PROCESSED')
      .count()
      .get();
    expect(kept.data().count).toBe(4);

    // Receivers are told of each subject, signed like every delivery.
    const told = await eventually(
      async () => {
        const delivered = receiver.received('/erased').filter((request) => request.status === 200);
        return delivered.length >= 2 ? delivered : undefined;
      },
      { what: 'a subject.erased webhook per subject' },
    );
    for (const request of told)
      expect(verifyWebhook({ body: request.body, headers: request.headers, secret })).toEqual({
        ok: true,
      });
    const payloads = told.map(
      (request) => (JSON.parse(request.body) as { data: { payload: unknown } }).data.payload,
    );
    expect(payloads).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          subject: person,
          subjectKind: 'userId',
          regulationType: 'SUPPRESS_WITH_DELETE',
        }),
        expect.objectContaining({
          subject: anonymous,
          subjectKind: 'anonymousId',
          regulationType: 'DELETE',
        }),
      ]),
    );
    expect(told.every((request) => JSON.parse(request.body).type === 'subject.erased')).toBe(true);
    // The retrying refund delivery is never sent again.
    const refundsBefore = receiver.received('/refunds').length;
    await sleep(2_000);
    expect(receiver.received('/refunds').length).toBeLessThanOrEqual(refundsBefore + 1);
  });

  it('answers a replay of an erased event 410', async () => {
    for (const eventId of personEventIds) {
      const response = await postJson(
        `${pipeline.urls.api}/v1/admin/events/${eventId}/replay`,
        {},
        admin(),
      );
      expect(response.status).toBe(410);
      expect(await response.json()).toMatchObject({ error: { code: 'erased' } });
    }
  });

  it('accepts a suppressed person’s events as usual and keeps none of them, counted per day', async () => {
    await send(person, 'after');
    await sleep(3_000);
    await loadAll();
    expect(await containsAnywhere(pipeline, [person])).toEqual([]);
    const day = new Date().toISOString().slice(0, 10);
    const summary = await eventually(
      async () => {
        const response = await fetch(
          `${pipeline.urls.api}/v1/admin/privacy/suppressed?day=${day}`,
          { headers: admin() },
        );
        const body = (await response.json()) as {
          suppressedEvents: number;
          suppressedSubjects: number;
        };
        return body.suppressedEvents >= 5 ? body : undefined;
      },
      { what: 'the day’s suppressed count' },
    );
    expect(summary).toMatchObject({ suppressedEvents: 5, suppressedSubjects: 1 });
  });

  it('lets the person’s events through again after UNSUPPRESS', async () => {
    const lifted = await regulate({
      type: 'UNSUPPRESS',
      subjectKind: 'userId',
      subjects: [person],
    });
    expect(lifted.status).toBe('FINISHED');
    await sleep(listSeconds * 1000 + 500);
    const response = await postJson(
      `${pipeline.urls.ingest}/v1/events`,
      { eventType: 'order.completed', userId: person, payload: { tag: 'welcome back' } },
      auth(),
    );
    expect(response.status).toBe(202);
    const { eventId } = (await response.json()) as { eventId: string };
    await eventually(
      async () => {
        const doc = await pipeline.firestore.collection(collections.events.name).doc(eventId).get();
        return doc.get('status') === 'PROCESSED' ? true : undefined;
      },
      { what: 'the event after UNSUPPRESS processed' },
    );
  });
});

async function statusCounts(firestore: Firestore): Promise<Record<string, number>> {
  const snapshot = await firestore.collection(collections.events.name).select('status').get();
  const counts: Record<string, number> = {};
  for (const doc of snapshot.docs) {
    const status = String(doc.get('status'));
    counts[status] = (counts[status] ?? 0) + 1;
  }
  return counts;
}

/** Where any of the ids appears: every DuckDB row, every document of every collection. */
async function containsAnywhere(pipeline: TestPipeline, ids: string[]): Promise<string[]> {
  const found: string[] = [];
  const rows = await pipeline.runtime.warehouse.query('SELECT * FROM tributary.events', {});
  for (const row of rows) {
    const text = JSON.stringify(row);
    if (ids.some((id) => text.includes(id))) found.push(`warehouse ${String(row.event_id)}`);
  }
  const visit = async (refs: DocumentReference[]): Promise<void> => {
    for (const ref of refs) {
      const snapshot = await ref.get();
      const text = JSON.stringify(snapshot.data() ?? {});
      if (ids.some((id) => text.includes(id))) found.push(ref.path);
      for (const sub of await ref.listCollections()) await visit(await sub.listDocuments());
    }
  };
  for (const collection of await pipeline.firestore.listCollections())
    await visit(await collection.listDocuments());
  return found;
}
