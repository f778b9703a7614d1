import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collections } from '../../infra/spec.ts';
import { FirestoreApiKeyStore, hashApiKey } from '../../functions/src/ingest/apiKeys.ts';
import { adminHeaders, seedFailedEvent } from '../support/failedEvents.ts';
import {
  eventually,
  postJson,
  startTestPipeline,
  waitForStatus,
  type TestPipeline,
} from '../support/pipeline.ts';

type Page = {
  items: { eventId: string; status: string; eventType: string }[];
  nextCursor: string | null;
};

describe('the admin API', () => {
  let pipeline: TestPipeline;
  // oxlint-disable-next-line typescript/no-unnecessary-type-parameters -- a typed test helper
  const get = async <T>(path: string): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${pipeline.urls.api}${path}`, {
      headers: adminHeaders(pipeline),
    });
    return { status: response.status, body: (await response.json()) as T };
  };

  beforeAll(async () => {
    pipeline = await startTestPipeline({ label: 'admin', env: { API_KEY_CACHE_SECONDS: '1' } });
  });
  afterAll(async () => {
    await pipeline.close();
  });

  describe('API keys', () => {
    it('creates a key shown once, lists keys without secrets, and revokes within the cache window', async () => {
      const created = await postJson(
        `${pipeline.urls.api}/v1/admin/api-keys`,
        { name: 'checkout', rateLimitPerSecond: 50 },
        adminHeaders(pipeline),
      );
      expect(created.status).toBe(201);
      const { key, keyId, prefix, ingestUrl } = (await created.json()) as {
        key: string;
        keyId: string;
        prefix: string;
        ingestUrl: string | null;
      };
      expect(key).toMatch(/^trb_/);
      // INGEST_URL is not configured here; npm start configures it (test/e2e).
      expect(ingestUrl).toBeNull();
      expect(key.startsWith(prefix)).toBe(true);

      const send = () =>
        postJson(
          `${pipeline.urls.ingest}/v1/events`,
          { eventType: 'page.viewed', payload: {} },
          { authorization: `Bearer ${key}` },
        );
      expect((await send()).status).toBe(202);

      const listed = await get<{ items: Record<string, unknown>[] }>('/v1/admin/api-keys');
      expect(listed.status).toBe(200);
      const text = JSON.stringify(listed.body);
      expect(text).not.toContain(key);
      expect(text).not.toContain(hashApiKey(key));
      expect(listed.body.items.find((k) => k.keyId === keyId)).toMatchObject({
        name: 'checkout',
        prefix,
        revoked: false,
        rateLimitPerSecond: 50,
        browser: false,
        allowedOrigins: null,
        visitors: null,
      });
      expect(Object.keys(listed.body.items[0]!).sort()).toEqual(
        [
          'allowedOrigins',
          'browser',
          'createdAt',
          'keyId',
          'name',
          'prefix',
          'rateLimitPerSecond',
          'revoked',
          'revokedAt',
          'siteId',
          'visitors',
        ].sort(),
      );

      const revoked = await postJson(
        `${pipeline.urls.api}/v1/admin/api-keys/${keyId}/revoke`,
        {},
        adminHeaders(pipeline),
      );
      expect(revoked.status).toBe(200);
      // The ingest cache (1 s here) lets the key through until its entry expires.
      await eventually(async () => ((await send()).status === 401 ? true : undefined), {
        timeoutMs: 10_000,
        what: 'the revoked key to be refused',
      });
      const again = await get<{ items: Record<string, unknown>[] }>('/v1/admin/api-keys');
      expect(again.body.items.find((k) => k.keyId === keyId)).toMatchObject({ revoked: true });
    });

    it.each([
      [{}, 'name'],
      [{ name: '' }, 'name'],
      [{ name: 'x', rateLimitPerSecond: -1 }, 'rateLimitPerSecond'],
      [{ name: 'x', siteId: '' }, 'siteId'],
      [{ name: 'x', siteId: 42 }, 'siteId'],
      [{ name: 'x', colour: 'red' }, 'body'],
    ])('refuses %j naming %s', async (body, field) => {
      const response = await postJson(
        `${pipeline.urls.api}/v1/admin/api-keys`,
        body,
        adminHeaders(pipeline),
      );
      expect(response.status).toBe(400);
      const error = ((await response.json()) as { error: { fields: { field: string }[] } }).error;
      expect(error.fields.map((f) => f.field)).toContain(field);
    });

    it('creates a key with the site its events belong to, which ingest sees with the key', async () => {
      const created = await postJson(
        `${pipeline.urls.api}/v1/admin/api-keys`,
        { name: 'web-sdk', siteId: 'shop-eu' },
        adminHeaders(pipeline),
      );
      expect(created.status).toBe(201);
      const { key, keyId, siteId } = (await created.json()) as Record<string, string>;
      expect(siteId).toBe('shop-eu');
      const listed = await get<{ items: Record<string, unknown>[] }>('/v1/admin/api-keys');
      expect(listed.body.items.find((k) => k.keyId === keyId)).toMatchObject({ siteId: 'shop-eu' });
      const stored = await new FirestoreApiKeyStore(pipeline.firestore).findByHash(
        hashApiKey(key!),
      );
      expect(stored).toMatchObject({ keyId, siteId: 'shop-eu' });
    });

    it('answers 404 for revoking an unknown key', async () => {
      const response = await postJson(
        `${pipeline.urls.api}/v1/admin/api-keys/key_0000/revoke`,
        {},
        adminHeaders(pipeline),
      );
      expect(response.status).toBe(404);
    });
  });

  describe('failed events', () => {
    const base = Date.parse('2026-01-10T12:00:00Z');
    const ids: Record<string, string> = {};

    beforeAll(async () => {
      const seeds = [
        ['a', 'DEAD_LETTER', 'order.placed', 0],
        ['b', 'DEAD_LETTER', 'page.viewed', 1],
        ['c', 'FAILED', 'order.placed', 2],
        ['d', 'FAILED', 'page.viewed', 3],
        ['e', 'DEAD_LETTER', 'order.placed', 4],
      ] as const;
      for (const [name, status, eventType, minutes] of seeds) {
        const record = await seedFailedEvent(pipeline, {
          status,
          failedAt: new Date(base + minutes * 60_000),
          envelope: { eventType },
        });
        ids[name] = record.eventId;
      }
    });

    it('pages through failed events newest first with an opaque cursor', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = `/v1/admin/events/failed?limit=2&from=2026-01-10T00:00:00Z${cursor ? `&cursor=${cursor}` : ''}`;
        const page = await get<Page>(query);
        expect(page.status).toBe(200);
        expect(page.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.body.items.map((i) => i.eventId));
        cursor = page.body.nextCursor;
        pages += 1;
      } while (cursor && pages < 10);
      expect(seen).toEqual([ids.e, ids.d, ids.c, ids.b, ids.a]);
      expect(pages).toBe(3);
    });

    it.each([
      ['status=DEAD_LETTER', ['e', 'b', 'a']],
      ['type=order.placed', ['e', 'c', 'a']],
      ['status=FAILED&type=page.viewed', ['d']],
      ['from=2026-01-10T12:01:00Z&to=2026-01-10T12:04:00Z', ['d', 'c', 'b']],
      ['status=DEAD_LETTER,FAILED&from=2026-01-10T12:03:00Z', ['e', 'd']],
    ])('filters by %s', async (query, expected) => {
      const page = await get<Page>(`/v1/admin/events/failed?from=2026-01-10T00:00:00Z&${query}`);
      expect(page.status).toBe(200);
      expect(page.body.items.map((i) => i.eventId)).toEqual(expected.map((name) => ids[name]));
    });

    it.each([
      ['status=DONE', 'status'],
      ['type=Not%20A%20Type', 'type'],
      ['from=yesterday', 'from'],
      ['limit=1000', 'limit'],
      ['cursor=bm9wZQ', 'cursor'],
      ['from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', 'to'],
      ['colour=red', 'query'],
    ])('refuses %s, naming %s', async (query, field) => {
      const page = await get<{ error: { fields: { field: string }[] } }>(
        `/v1/admin/events/failed?${query}`,
      );
      expect(page.status).toBe(400);
      expect(page.body.error.fields.map((f) => f.field)).toContain(field);
    });

    it('shows the dead letters with their count', async () => {
      const view = await get<Page & { count: number }>(
        '/v1/admin/dead-letters?from=2026-01-10T00:00:00Z&type=order.placed',
      );
      expect(view.status).toBe(200);
      expect(view.body.count).toBe(2);
      expect(view.body.items.map((i) => i.eventId)).toEqual([ids.e, ids.a]);
      expect(view.body.items.every((i) => i.status === 'DEAD_LETTER')).toBe(true);
    });

    it('shows one event with its history and body', async () => {
      const detail = await get<Record<string, unknown>>(`/v1/admin/events/${ids.a}`);
      expect(detail.status).toBe(200);
      expect(detail.body).toMatchObject({
        eventId: ids.a,
        status: 'DEAD_LETTER',
        eventType: 'order.placed',
        attempts: 1,
        replays: 0,
        event: { eventId: ids.a, payload: { title: 'Home' } },
        history: [
          { status: 'FAILED', attempts: 1, replay: 0, error: { code: 'publish_failed' } },
          { status: 'DEAD_LETTER', attempts: 1, replay: 0, error: { code: 'attempts_exhausted' } },
        ],
      });
      expect((await get(`/v1/admin/events/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
    });

    it('bulk replay dry run counts what a filter matches and changes nothing', async () => {
      const response = await postJson(
        `${pipeline.urls.api}/v1/admin/replays`,
        {
          dryRun: true,
          filter: {
            type: 'order.placed',
            from: '2026-01-10T00:00:00Z',
            to: '2026-01-11T00:00:00Z',
          },
        },
        adminHeaders(pipeline),
      );
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ dryRun: true, count: 3 });
      const record = await get<{ status: string }>(`/v1/admin/events/${ids.a}`);
      expect(record.body.status).toBe('DEAD_LETTER');
    });

    it.each([
      [{ filter: { status: ['PROCESSED'] } }, 'filter.status.0'],
      [{ filter: { from: 'soon' } }, 'filter.from'],
      [{ dryRun: 'yes' }, 'dryRun'],
    ])('refuses bulk replay input %j', async (body, field) => {
      const response = await postJson(
        `${pipeline.urls.api}/v1/admin/replays`,
        body,
        adminHeaders(pipeline),
      );
      expect(response.status).toBe(400);
      const error = ((await response.json()) as { error: { fields: { field: string }[] } }).error;
      expect(error.fields.map((f) => f.field)).toContain(field);
    });
  });

  describe('metrics summary', () => {
    it('counts by status and type with aggregation queries, with throughput and latency', async () => {
      const sent: string[] = [];
      for (const eventType of ['metric.sample', 'metric.sample', 'metric.other']) {
        const response = await postJson(
          `${pipeline.urls.ingest}/v1/events`,
          { eventType, payload: {} },
          { authorization: `Bearer ${pipeline.apiKey}` },
        );
        sent.push(((await response.json()) as { eventId: string }).eventId);
      }
      for (const id of sent) await waitForStatus(pipeline, id, 'PROCESSED');
      const summary = await get<{
        byStatus: Record<string, number>;
        byType: { types: { eventType: string; count: number }[] };
        throughput: { hours: { hour: string; processed: number }[] };
        latency: { sampleSize: number; p50Ms: number };
        backlog: { messages: number | null; reason: string };
      }>('/v1/admin/metrics/summary?hours=3');
      expect(summary.status).toBe(200);
      const processed = await pipeline.firestore
        .collection(collections.events.name)
        .where('status', '==', 'PROCESSED')
        .get();
      expect(summary.body.byStatus.PROCESSED).toBe(processed.size);
      expect(summary.body.byStatus.DEAD_LETTER).toBeGreaterThanOrEqual(3);
      expect(summary.body.byType.types).toEqual(
        expect.arrayContaining([
          { eventType: 'metric.sample', count: 2 },
          { eventType: 'metric.other', count: 1 },
        ]),
      );
      expect(summary.body.throughput.hours).toHaveLength(3);
      expect(summary.body.throughput.hours.reduce((n, h) => n + h.processed, 0)).toBe(
        processed.size,
      );
      expect(summary.body.latency.sampleSize).toBe(processed.size);
      expect(summary.body.latency.p50Ms).toBeGreaterThanOrEqual(0);
      expect(summary.body.backlog).toEqual(
        expect.objectContaining({ messages: null, reason: expect.stringContaining('emulator') }),
      );
    });
  });
});
