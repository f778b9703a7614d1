import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createApiKey,
  FirestoreApiKeyStore,
  hashApiKey,
  keyIdOf,
} from '../../functions/src/ingest/apiKeys.ts';
import { trackingEventId } from '../../functions/src/ingest/tracking/trackingMessageToEvent.ts';
import { SwitchablePublisher } from '../support/injectedFaults.ts';
import { runLoader } from '../../functions/src/warehouse/loadWarehouse.ts';
import {
  eventRecord,
  eventually,
  postJson,
  startTestPipeline,
  waitForStatus,
  type TestPipeline,
} from '../support/pipeline.ts';
import { loaderDeps } from '../../functions/src/entries/warehouse.ts';

type TrackingError = {
  success: false;
  message: string;
  error: { code: string; message: string; fields?: { field: string; message: string }[] };
};

/** Every refusal is JSON in the tracking API's shape, with our error object, and no stack. */
async function trackingError(response: Response): Promise<TrackingError> {
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await response.json()) as TrackingError;
  expect(body.success).toBe(false);
  expect(body.message).toBe(body.error.message);
  expect(typeof body.error.code).toBe('string');
  expect(JSON.stringify(body)).not.toMatch(/\n\s+at |\.ts:\d+/);
  return body;
}

const basic = (key: string) => ({
  authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}`,
});

const message = (fields: Record<string, unknown> = {}) => ({
  messageId: randomUUID(),
  userId: 'u-1',
  ...fields,
});

describe('the tracking API (Segment / RudderStack) over HTTP', () => {
  let pipeline: TestPipeline;
  let publisher: SwitchablePublisher;
  let base: string;
  let auth: Record<string, string>;
  let keyId: string;

  beforeAll(async () => {
    pipeline = await startTestPipeline({
      label: 'tracking',
      overrides: (runtime) => {
        publisher = new SwitchablePublisher(runtime.publisher);
        return { publisher };
      },
    });
    base = pipeline.urls.ingest;
    auth = basic(pipeline.apiKey);
    keyId = keyIdOf(hashApiKey(pipeline.apiKey));
  });
  afterAll(async () => {
    await pipeline.close();
  });

  const processed = (messageId: string, key = keyId) =>
    waitForStatus(pipeline, trackingEventId(key, messageId), 'PROCESSED');

  describe('single calls', () => {
    it.each([
      ['track', { event: 'Order Completed', properties: { total: 42 } }, 'track.order_completed'],
      ['page', { name: 'Pricing', properties: { path: '/pricing' } }, 'page.viewed'],
      ['screen', { name: 'Settings' }, 'screen.viewed'],
      ['identify', { traits: { plan: 'pro' } }, 'identify.called'],
      ['group', { groupId: 'acme' }, 'group.called'],
      ['alias', { previousId: 'anon-1' }, 'alias.called'],
    ])(
      'POST /v1/%s answers 200 {success: true} and the event is PROCESSED',
      async (type, fields, eventType) => {
        const sent = message(fields);
        const response = await postJson(`${base}/v1/${type}`, sent, auth);
        expect(response.status).toBe(200);
        expect(await response.json()).toEqual({ success: true });
        const record = await processed(sent.messageId);
        expect(record).toMatchObject({
          eventType,
          source: 'tracking',
          producer: keyId,
          attempts: 1,
        });
      },
    );

    it('takes the key as Bearer too', async () => {
      const sent = message({ event: 'Bearer Works' });
      const response = await postJson(`${base}/v1/track`, sent, {
        authorization: `Bearer ${pipeline.apiKey}`,
      });
      expect(response.status).toBe(200);
      await processed(sent.messageId);
    });

    it('a repeated messageId is the same event, processed once', async () => {
      const sent = message({ event: 'Signed Up' });
      const first = await postJson(`${base}/v1/track`, sent, auth);
      const again = await postJson(`${base}/v1/track`, JSON.stringify(sent, null, 2), auth);
      expect([first.status, again.status]).toEqual([200, 200]);
      const record = await processed(sent.messageId);
      // Give the second copy time to be delivered: it must not count twice.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const after = await eventRecord(pipeline, record.eventId);
      expect(after).toMatchObject({ status: 'PROCESSED', attempts: 1 });
      expect(after!.processedAt).toEqual(record.processedAt);
    });

    it('the same messageId from another key is another event', async () => {
      const other = await createApiKey(new FirestoreApiKeyStore(pipeline.firestore), {
        name: 'other',
      });
      const sent = message({ event: 'Shared Id' });
      expect((await postJson(`${base}/v1/track`, sent, auth)).status).toBe(200);
      expect((await postJson(`${base}/v1/track`, sent, basic(other.key))).status).toBe(200);
      await processed(sent.messageId);
      await processed(sent.messageId, other.keyId);
    });
  });

  describe('refusals', () => {
    it.each([
      ['no Authorization header', {}],
      ['an unknown write key', basic('trb_wrong')],
      ['an empty user name', { authorization: `Basic ${Buffer.from(':x').toString('base64')}` }],
      ['a Basic header that is not base64', { authorization: 'Basic !!!' }],
    ])('401 for %s', async (_, headers) => {
      for (const path of ['/v1/batch', '/v1/track']) {
        const response = await postJson(`${base}${path}`, { batch: [message()] }, headers);
        expect(response.status).toBe(401);
        expect(response.headers.get('www-authenticate')).toMatch(/Basic/);
        expect((await trackingError(response)).error.code).toBe('unauthenticated');
      }
    });

    it('400 for a body that is not JSON', async () => {
      const response = await postJson(`${base}/v1/track`, '{"event": "x", ', auth);
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: { code: string } };
      expect(body.error.code).toBe('invalid_json');
    });

    it.each(['/v1/batch', '/v1/page'])(
      '400 for %s with a body that is not JSON under another media type',
      async (path) => {
        const response = await fetch(`${base}${path}`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'text/plain' },
          body: 'hello',
        });
        expect(response.status).toBe(400);
        const body = (await response.json()) as { error: { code: string } };
        expect(body.error.code).toBe('invalid_json');
      },
    );

    it('415 for a charset other than UTF-8, whatever the media type', async () => {
      const response = await fetch(`${base}/v1/track`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'text/plain; charset=iso-8859-1' },
        body: JSON.stringify(message({ event: 'Latin' })),
      });
      expect(response.status).toBe(415);
      const body = (await response.json()) as { error: { code: string } };
      expect(body.error.code).toMatch(/^unsupported_/);
    });

    it('400 naming the body for bytes that are not UTF-8 under another media type', async () => {
      const response = await fetch(`${base}/v1/track`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/octet-stream' },
        body: Buffer.concat([
          Buffer.from('{"event":"'),
          Buffer.from([0xff]),
          Buffer.from('","userId":"u"}'),
        ]),
      });
      expect(response.status).toBe(400);
      expect((await trackingError(response)).error).toMatchObject({
        code: 'invalid_encoding',
        fields: [{ field: 'body' }],
      });
    });

    it('takes JSON whatever media type it is declared as, gzipped as RudderStack sends it', async () => {
      // Page URLs with query strings: more than a thousand `&`, which a form parser refuses.
      const pages = Array.from({ length: 400 }, (_, i) =>
        message({
          type: 'page',
          context: { page: { url: `https://form.example.com/p?a=${i}&b=2&c=3&d=4`, path: '/p' } },
        }),
      );
      const sent = message({ type: 'track', event: 'Form Encoded' });
      const response = await fetch(`${base}/v1/batch`, {
        method: 'POST',
        headers: {
          ...auth,
          'content-type': 'application/x-www-form-urlencoded',
          'content-encoding': 'gzip',
        },
        body: gzipSync(
          JSON.stringify({ batch: [sent, ...pages], sentAt: new Date().toISOString() }),
        ),
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ success: true, accepted: 401, rejected: 0 });
      await processed(sent.messageId);
      await processed(pages[399]!.messageId);
      const untyped = await fetch(`${base}/v1/identify`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify(message()),
      });
      expect(untyped.status).toBe(200);
    });

    it.each([
      ['a track without its event name', '/v1/track', { userId: 'u' }, ['event']],
      ['an event name that is a number', '/v1/track', { event: 5, userId: 'u' }, ['event']],
      ['no userId nor anonymousId', '/v1/page', { name: 'x' }, ['userId']],
      ['a userId that is an object', '/v1/identify', { userId: { id: 1 } }, ['userId']],
      [
        'a body type that contradicts the route',
        '/v1/track',
        { type: 'page', event: 'x', userId: 'u' },
        ['type'],
      ],
      [
        'a timestamp that is not a date',
        '/v1/screen',
        { userId: 'u', timestamp: 'yesterday' },
        ['timestamp'],
      ],
      ['properties that are a list', '/v1/page', { userId: 'u', properties: [1] }, ['properties']],
      ['a group without groupId', '/v1/group', { userId: 'u' }, ['groupId']],
      ['a body that is a list', '/v1/track', [{ event: 'x', userId: 'u' }], ['(root)']],
    ])('400 naming the field for %s', async (_, path, body, fields) => {
      const response = await postJson(`${base}${path}`, body, auth);
      expect(response.status).toBe(400);
      const error = await trackingError(response);
      expect(error.error.code).toBe('invalid_message');
      expect(error.error.fields?.map((f) => f.field)).toEqual(fields);
    });

    it('400 for a message nested deeper than 32 levels', async () => {
      const deep = '{"a":'.repeat(40) + '1' + '}'.repeat(40);
      const response = await postJson(
        `${base}/v1/track`,
        `{"event":"x","userId":"u","properties":${deep}}`,
        auth,
      );
      expect(response.status).toBe(400);
      expect((await trackingError(response)).error.fields?.[0]?.message).toMatch(/deeper than 32/);
    });

    it('400 for a call over 32 KB, in the tracking shape', async () => {
      const response = await postJson(
        `${base}/v1/track`,
        message({ event: 'Big', properties: { blob: 'x'.repeat(33 * 1024) } }),
        auth,
      );
      expect(response.status).toBe(400);
      const error = await trackingError(response);
      expect(error.error.code).toBe('payload_too_large');
      expect(error.message).toMatch(/32768 bytes/);
    });

    it('400 for a batch over 500 KB, and none of it is taken', async () => {
      const batch = Array.from({ length: 20 }, () =>
        message({ type: 'track', event: 'Chunk', properties: { blob: 'x'.repeat(26 * 1024) } }),
      );
      const response = await postJson(`${base}/v1/batch`, { batch }, auth);
      expect(response.status).toBe(400);
      expect((await trackingError(response)).error.code).toBe('payload_too_large');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(
        await eventRecord(pipeline, trackingEventId(keyId, batch[0]!.messageId)),
      ).toBeUndefined();
    });

    it.each([
      ['no batch field', { events: [] }],
      ['a batch that is an object', { batch: { type: 'track' } }],
      ['an empty batch', { batch: [] }],
      ['a body that is a list', [message({ type: 'track', event: 'x' })]],
    ])('400 naming batch for %s', async (_, body) => {
      const response = await postJson(`${base}/v1/batch`, body, auth);
      expect(response.status).toBe(400);
      const error = await trackingError(response);
      expect(error.error.fields?.[0]?.field).toBe('batch');
    });

    it('400 naming each item and field when no message of a batch is valid', async () => {
      const batch = [{ userId: 'u' }, { type: 'track', userId: 'u' }, 'not a message'];
      const response = await postJson(`${base}/v1/batch`, { batch }, auth);
      expect(response.status).toBe(400);
      const error = await trackingError(response);
      expect(error.error.fields?.map((f) => f.field)).toEqual([
        'batch.0.type',
        'batch.1.event',
        'batch.2.(root)',
      ]);
    });

    it('answers 503 when Pub/Sub refuses, and the same batch sent again lands once', async () => {
      const batch = Array.from({ length: 5 }, (_, i) =>
        message({ type: 'track', event: `Retry ${i}` }),
      );
      publisher.failing = true;
      const failed = await postJson(`${base}/v1/batch`, { batch }, auth);
      publisher.failing = false;
      expect(failed.status).toBe(503);
      expect(Number(failed.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await trackingError(failed)).error.code).toBe('unavailable');

      const retried = await postJson(
        `${base}/v1/batch`,
        { batch, sentAt: new Date().toISOString() },
        auth,
      );
      expect(retried.status).toBe(200);
      expect(await retried.json()).toEqual({ success: true, accepted: 5, rejected: 0 });
      const again = await postJson(`${base}/v1/batch`, { batch }, auth);
      expect(again.status).toBe(200);
      for (const sent of batch) expect((await processed(sent.messageId)).attempts).toBe(1);
    });
  });

  describe('batches', () => {
    it('takes the valid messages of a batch and lists the others, with their messageId', async () => {
      const good = [
        message({ type: 'track', event: 'Order Completed' }),
        message({ type: 'page', properties: { path: '/' } }),
      ];
      const missingName = message({ type: 'track' });
      const oversized = message({
        type: 'track',
        event: 'Big',
        properties: { blob: 'y'.repeat(33 * 1024) },
      });
      const batch = [good[0], missingName, { userId: 'u' }, oversized, good[1]];
      const response = await postJson(`${base}/v1/batch`, { batch }, auth);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        success: true,
        accepted: 2,
        rejected: 3,
        errors: [
          {
            index: 1,
            messageId: missingName.messageId,
            fields: [{ field: 'event', message: expect.any(String) }],
          },
          { index: 2, fields: [{ field: 'type', message: expect.any(String) }] },
          {
            index: 3,
            messageId: oversized.messageId,
            fields: [{ field: '(root)', message: expect.stringMatching(/at most 32768/) }],
          },
        ],
      });
      for (const sent of good) await processed(sent.messageId);
      expect(
        await eventRecord(pipeline, trackingEventId(keyId, missingName.messageId)),
      ).toBeUndefined();
    });

    it('maps every field into the warehouse and keeps the message whole as the payload', async () => {
      const sitedKey = await createApiKey(new FirestoreApiKeyStore(pipeline.firestore), {
        name: 'site key',
        siteId: 'configured-site',
      });
      const sentAt = new Date(Date.now() - 3_600_000).toISOString();
      const page = message({
        type: 'page',
        userId: undefined,
        anonymousId: 'anon-7',
        name: 'Docs',
        context: {
          page: { path: '/docs', url: 'https://docs.example.com/docs' },
          library: { name: 'analytics-node', version: '3.1.0' },
        },
        // The sender's clock is an hour slow: 10 s before it sent the batch.
        timestamp: new Date(Date.parse(sentAt) - 10_000).toISOString(),
        writeKey: pipeline.apiKey,
      });
      const track = message({
        type: 'track',
        event: 'Order Completed',
        properties: { path: '/cart', total: 9.5 },
      });
      const response = await postJson(`${base}/v1/batch`, { batch: [page, track], sentAt }, auth);
      expect(response.status).toBe(200);
      const onSite = message({
        type: 'page',
        context: { page: { url: 'https://shop.example.com/' } },
      });
      expect(
        (await postJson(`${base}/v1/batch`, { batch: [onSite] }, basic(sitedKey.key))).status,
      ).toBe(200);
      await processed(page.messageId);
      await processed(track.messageId);
      await processed(onSite.messageId, sitedKey.keyId);

      const loader = loaderDeps(pipeline.runtime);
      const rows = await eventually(
        async () => {
          await runLoader(loader);
          const found = await pipeline.runtime.warehouse.query(
            `SELECT event_id, event_type, source, site_id, user_id, path, occurred_at, received_at, payload
             FROM tributary.events WHERE event_id IN ($a, $b, $c) ORDER BY event_type`,
            {
              a: trackingEventId(keyId, page.messageId),
              b: trackingEventId(keyId, track.messageId),
              c: trackingEventId(sitedKey.keyId, onSite.messageId),
            },
          );
          return found.length === 3 ? found : undefined;
        },
        { timeoutMs: 30_000, what: 'the rows in the warehouse' },
      );
      const byId = new Map(rows.map((row) => [row.event_id, row]));
      const pageRow = byId.get(trackingEventId(keyId, page.messageId))!;
      expect(pageRow).toMatchObject({
        event_type: 'page.viewed',
        source: 'tracking',
        site_id: 'docs.example.com',
        user_id: 'anon-7',
        path: '/docs',
      });
      const {
        writeKey: _stored,
        userId: _absent,
        ...pageWithoutKey
      } = page as Record<string, unknown>;
      expect(JSON.parse(String(pageRow.payload))).toEqual(pageWithoutKey);
      expect(String(pageRow.payload)).not.toContain(pipeline.apiKey);
      // receivedAt - sentAt + timestamp: 10 s before the request arrived.
      const skew =
        Date.parse(String(pageRow.received_at)) - Date.parse(String(pageRow.occurred_at));
      expect(skew).toBeGreaterThanOrEqual(9_000);
      expect(skew).toBeLessThan(12_000);

      const trackRow = byId.get(trackingEventId(keyId, track.messageId))!;
      expect(trackRow).toMatchObject({
        event_type: 'track.order_completed',
        user_id: 'u-1',
        path: '/cart',
        site_id: null,
      });
      expect(JSON.parse(String(trackRow.payload))).toEqual(track);
      expect(byId.get(trackingEventId(sitedKey.keyId, onSite.messageId))).toMatchObject({
        site_id: 'configured-site',
      });
    });
  });

  it('documents the routes in the OpenAPI document', async () => {
    const response = await fetch(`${base}/openapi.json`);
    const document = (await response.json()) as {
      paths: Record<string, { post?: { requestBody?: unknown } }>;
    };
    for (const path of [
      '/v1/batch',
      '/v1/track',
      '/v1/page',
      '/v1/screen',
      '/v1/identify',
      '/v1/group',
      '/v1/alias',
    ]) {
      expect(document.paths[path]?.post?.requestBody).toBeDefined();
    }
  });
});
