import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trackingEventId } from '../../functions/src/ingest/tracking/trackingMessageToEvent.ts';
import {
  eventRecord,
  postJson,
  startTestPipeline,
  waitForStatus,
  type TestPipeline,
} from '../support/pipeline.ts';

const shop = 'https://shop.example';
const blog = 'https://www.blog.example';

type CreatedKey = { key: string; keyId: string };

/** Each request from its own client address, unless a test shares one on purpose. */
let addresses = 0;
const nextAddress = () =>
  `198.51.100.${(addresses += 1) % 250}, 203.0.${addresses >> 8}.${addresses % 250}`;

/** What browsers send: text/plain, the Origin, a client address behind the front end. */
function fromPage(
  url: string,
  body: unknown,
  options: { origin?: string; headers?: Record<string, string>; address?: string } = {},
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'text/plain;charset=UTF-8',
      'x-forwarded-for': options.address ?? nextAddress(),
      ...(options.origin === undefined ? {} : { origin: options.origin }),
      ...options.headers,
    },
    body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
  });
}

const page = (fields: Record<string, unknown> = {}) => ({
  type: 'page',
  messageId: randomUUID(),
  anonymousId: `anon-${randomUUID()}`,
  properties: { path: '/pricing', url: 'https://shop.example/pricing' },
  ...fields,
});

const cors = (response: Response) => ({
  origin: response.headers.get('access-control-allow-origin'),
  credentials: response.headers.get('access-control-allow-credentials'),
});

describe('browsers send to ingest: browser keys, CORS, the SDKs’ request shapes', () => {
  let pipeline: TestPipeline;
  let base: string;
  let browserKey: CreatedKey;
  let wildcardKey: CreatedKey;

  const admin = () => ({ authorization: `Bearer ${pipeline.adminToken}` });

  async function createKey(body: Record<string, unknown>): Promise<Response> {
    return postJson(`${pipeline.urls.api}/v1/admin/api-keys`, body, admin());
  }

  beforeAll(async () => {
    pipeline = await startTestPipeline({
      label: 'browser',
      // A small per-address bucket, so that the limit test stays short.
      ingestOverrides: (deps) => ({
        ...deps,
        limits: { ...deps.limits, browserRateLimitPerSecond: 1, browserRateLimitBurst: 5 },
      }),
    });
    base = pipeline.urls.ingest;
    const created = await createKey({
      name: 'shop site',
      siteId: 'shop',
      allowedOrigins: [shop, 'http://localhost:3000'],
    });
    if (created.status !== 201) throw new Error(`browser key: ${created.status}`);
    browserKey = (await created.json()) as CreatedKey;
    wildcardKey = (await (
      await createKey({ name: 'blog', allowedOrigins: ['https://*.blog.example'] })
    ).json()) as CreatedKey;
  });
  afterAll(async () => {
    await pipeline.close();
  });

  const processed = (messageId: string, key = browserKey) =>
    waitForStatus(pipeline, trackingEventId(key.keyId, messageId), 'PROCESSED');
  /** Nothing was published for it: no status after processing would have happened. */
  async function neverArrives(messageId: string, key = browserKey): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await eventRecord(pipeline, trackingEventId(key.keyId, messageId))).toBeUndefined();
  }

  describe('browser keys', () => {
    it('are listed as browser keys with their origins; server keys are not', async () => {
      const list = (await (
        await fetch(`${pipeline.urls.api}/v1/admin/api-keys`, { headers: admin() })
      ).json()) as {
        items: { keyId: string; browser: boolean; allowedOrigins: string[] | null }[];
      };
      const byId = new Map(list.items.map((item) => [item.keyId, item]));
      expect(byId.get(browserKey.keyId)).toMatchObject({
        browser: true,
        allowedOrigins: [shop, 'http://localhost:3000'],
      });
      expect(list.items.filter((item) => !item.browser).length).toBeGreaterThan(0);
      expect(list.items.find((item) => !item.browser)?.allowedOrigins).toBeNull();
    });

    it.each([
      [['https://shop.example/'], 'allowedOrigins.0'],
      [['shop.example'], 'allowedOrigins.0'],
      [['https://*.example'], 'allowedOrigins.0'],
      [[shop, shop], 'allowedOrigins'],
      [[], 'allowedOrigins'],
      ['https://shop.example', 'allowedOrigins'],
    ])('refuses allowedOrigins %j, naming %s', async (allowedOrigins, field) => {
      const response = await createKey({ name: 'bad', allowedOrigins });
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: { fields: { field: string }[] } };
      expect(body.error.fields.map((f) => f.field)).toContain(field);
    });

    it('open no other route: 403 on /v1/events and on CSV uploads', async () => {
      const events = await postJson(
        `${base}/v1/events`,
        { eventType: 'page.viewed', payload: {} },
        { authorization: `Bearer ${browserKey.key}`, origin: shop },
      );
      expect(events.status).toBe(403);
      expect(((await events.json()) as { error: { code: string } }).error.code).toBe(
        'browser_key_not_allowed',
      );
      expect(cors(events).origin).toBeNull();
      const form = new FormData();
      form.append('file', new Blob(['eventType\na.b\n'], { type: 'text/csv' }), 'a.csv');
      const upload = await fetch(`${pipeline.urls.api}/v1/uploads`, {
        method: 'POST',
        headers: { authorization: `Bearer ${browserKey.key}` },
        body: form,
      });
      expect(upload.status).toBe(403);
    });

    it('work only from their origins: another origin, or none, is refused and nothing is published', async () => {
      for (const origin of ['https://evil.example', 'https://shop.example.evil.test', undefined]) {
        const sent = page();
        const response = await fromPage(
          `${base}/v1/p`,
          { ...sent, writeKey: browserKey.key },
          origin ? { origin } : {},
        );
        expect(response.status).toBe(403);
        const body = (await response.json()) as { success: boolean; error: { code: string } };
        expect(body).toMatchObject({ success: false, error: { code: 'origin_not_allowed' } });
        expect(cors(response).origin).toBeNull();
        await neverArrives(sent.messageId);
      }
    });

    it('a wildcard origin takes any subdomain, not the domain itself', async () => {
      const sent = page();
      const ok = await fromPage(
        `${base}/v1/p`,
        { ...sent, writeKey: wildcardKey.key },
        { origin: blog },
      );
      expect(ok.status).toBe(200);
      expect(cors(ok).origin).toBe(blog);
      await processed(sent.messageId, wildcardKey);
      const bare = await fromPage(
        `${base}/v1/p`,
        { ...page(), writeKey: wildcardKey.key },
        { origin: 'https://blog.example' },
      );
      expect(bare.status).toBe(403);
    });

    it('are limited per client address as well as per key', async () => {
      const address = '192.0.2.77';
      const answers: Response[] = [];
      for (let i = 0; i < 7; i += 1) {
        answers.push(
          await fromPage(
            `${base}/v1/t`,
            { type: 'track', event: 'Click', anonymousId: 'a', writeKey: browserKey.key },
            { origin: shop, address },
          ),
        );
      }
      const statuses = answers.map((response) => response.status);
      const limited = answers.slice(5);
      expect(limited.map((r) => Number(r.headers.get('retry-after')) > 0)).toEqual([true, true]);
      expect(limited.map((r) => cors(r).origin)).toEqual([shop, shop]);
      expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
      expect(statuses.slice(5)).toEqual([429, 429]);
      // Another address is not held back.
      const other = await fromPage(
        `${base}/v1/t`,
        { type: 'track', event: 'Click', anonymousId: 'a', writeKey: browserKey.key },
        { origin: shop, address: '192.0.2.78' },
      );
      expect(other.status).toBe(200);
    });
  });

  describe('CORS', () => {
    it('answers a preflight from an allowed origin with 204, the origin, methods, headers and a max age', async () => {
      for (const path of ['/v1/p', '/v1/batch', '/v1/b', '/v1/track', '/beacon/v1/batch']) {
        const response = await fetch(`${base}${path}`, {
          method: 'OPTIONS',
          headers: {
            origin: 'http://localhost:3000',
            'access-control-request-method': 'POST',
            'access-control-request-headers': 'content-type,authorization,anonymousid',
          },
        });
        expect(response.status).toBe(204);
        expect(cors(response)).toEqual({ origin: 'http://localhost:3000', credentials: 'true' });
        expect(response.headers.get('access-control-allow-methods')).toContain('POST');
        const allowed = response.headers.get('access-control-allow-headers')!.toLowerCase();
        for (const header of ['content-type', 'authorization', 'anonymousid'])
          expect(allowed).toContain(header);
        expect(Number(response.headers.get('access-control-max-age'))).toBeGreaterThanOrEqual(3600);
        expect(response.headers.get('vary')).toContain('Origin');
      }
    });

    it('refuses a preflight from an origin no browser key lists, without CORS headers', async () => {
      const response = await fetch(`${base}/v1/p`, {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
      });
      expect(response.status).toBe(403);
      expect(cors(response).origin).toBeNull();
    });

    it('answers no preflight on routes pages do not call', async () => {
      const response = await fetch(`${base}/v1/events`, {
        method: 'OPTIONS',
        headers: { origin: shop, 'access-control-request-method': 'POST' },
      });
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(cors(response).origin).toBeNull();
    });

    it('puts the CORS headers on errors to an allowed origin, so the SDK can read them', async () => {
      const response = await fromPage(
        `${base}/v1/t`,
        { type: 'track', anonymousId: 'a', writeKey: browserKey.key },
        { origin: shop },
      );
      expect(response.status).toBe(400);
      expect(cors(response).origin).toBe(shop);
      expect(
        ((await response.json()) as { error: { fields: { field: string }[] } }).error.fields,
      ).toEqual([{ field: 'event', message: expect.any(String) }]);
    });

    it('gives a server key no CORS headers: a page cannot read its answers', async () => {
      const sent = page();
      const response = await fromPage(
        `${base}/v1/p`,
        { ...sent, writeKey: pipeline.apiKey },
        { origin: shop },
      );
      expect(response.status).toBe(200);
      expect(cors(response).origin).toBeNull();
    });
  });

  describe('what browser SDKs send', () => {
    it.each([
      ['/v1/p', { type: 'page' }, 'page.viewed'],
      ['/v1/t', { type: 'track', event: 'Added To Cart' }, 'track.added_to_cart'],
      ['/v1/i', { type: 'identify', userId: 'u-9', traits: { plan: 'pro' } }, 'identify.called'],
      ['/v1/g', { type: 'group', groupId: 'acme' }, 'group.called'],
      ['/v1/a', { type: 'alias', previousId: 'anon-1', userId: 'u-9' }, 'alias.called'],
      ['/v1/s', { type: 'screen', name: 'Home' }, 'screen.viewed'],
    ])(
      'analytics.js: %s with text/plain and the key in the body and as Basic auth',
      async (path, fields, eventType) => {
        const sent = {
          ...page(),
          ...fields,
          writeKey: browserKey.key,
          sentAt: new Date().toISOString(),
        };
        const response = await fromPage(`${base}${path}`, sent, {
          origin: shop,
          headers: {
            authorization: `Basic ${Buffer.from(`${browserKey.key}:`).toString('base64')}`,
          },
        });
        expect(response.status).toBe(200);
        expect(await response.json()).toEqual({ success: true });
        expect(cors(response).origin).toBe(shop);
        const record = await processed(sent.messageId);
        expect(record).toMatchObject({ eventType, source: 'tracking', producer: browserKey.keyId });
      },
    );

    it('analytics.js batching: /v1/b with the key at the top and in every message', async () => {
      const batch = [page(), page({ type: 'track', event: 'Clicked' })].map((m) => ({
        ...m,
        writeKey: browserKey.key,
      }));
      const foreign = { ...page(), writeKey: pipeline.apiKey };
      const response = await fromPage(
        `${base}/v1/b`,
        { batch: [...batch, foreign], writeKey: browserKey.key, sentAt: new Date().toISOString() },
        { origin: shop },
      );
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        success: true,
        accepted: 2,
        rejected: 1,
        errors: [
          {
            index: 2,
            messageId: foreign.messageId,
            fields: [{ field: 'writeKey', message: expect.stringMatching(/another key/) }],
          },
        ],
      });
      for (const message of batch) await processed(message.messageId);
      await neverArrives(foreign.messageId);
      const record = await eventRecord(
        pipeline,
        trackingEventId(browserKey.keyId, batch[0]!.messageId),
      );
      expect(JSON.stringify(record)).not.toContain(browserKey.key);
    });

    it('RudderStack: its beacon to /beacon/v1/batch?writeKey= as text/plain', async () => {
      const batch = [page(), page({ type: 'track', event: 'Signed Up' })];
      const response = await fromPage(
        `${base}/beacon/v1/batch?writeKey=${encodeURIComponent(browserKey.key)}`,
        { batch, sentAt: new Date().toISOString() },
        { origin: shop },
      );
      expect(response.status).toBe(200);
      for (const message of batch) await processed(message.messageId);
    });

    it('RudderStack: its XHR calls, JSON with Basic auth and the AnonymousId header', async () => {
      const sent = page({
        channel: 'web',
        context: { page: { path: '/docs', url: `${shop}/docs` } },
      });
      const response = await fromPage(`${base}/v1/page`, sent, {
        origin: shop,
        headers: {
          'content-type': 'application/json;charset=UTF-8',
          authorization: `Basic ${Buffer.from(`${browserKey.key}:`).toString('base64')}`,
          anonymousid: Buffer.from(sent.anonymousId).toString('base64'),
        },
      });
      expect(response.status).toBe(200);
      expect((await processed(sent.messageId)).eventType).toBe('page.viewed');
    });

    it('a gzipped body, as fetch with a CompressionStream sends it', async () => {
      const sent = page();
      const response = await fromPage(
        `${base}/v1/p`,
        gzipSync(JSON.stringify({ ...sent, writeKey: browserKey.key })),
        { origin: shop, headers: { 'content-encoding': 'gzip' } },
      );
      expect(response.status).toBe(200);
      await processed(sent.messageId);
    });
  });

  describe('refusals, in the tracking API’s shape', () => {
    it('400 naming both places for two different keys, and nothing is published', async () => {
      const cases: [string, Record<string, string>, Record<string, unknown>, string[]][] = [
        [
          `${base}/v1/p`,
          { authorization: `Basic ${Buffer.from(`${pipeline.apiKey}:`).toString('base64')}` },
          { writeKey: browserKey.key },
          ['Authorization', 'body writeKey'],
        ],
        [
          `${base}/v1/p?writeKey=${encodeURIComponent(wildcardKey.key)}`,
          {},
          { writeKey: browserKey.key },
          ['query writeKey', 'body writeKey'],
        ],
      ];
      for (const [url, headers, extra, places] of cases) {
        const sent = page();
        const response = await fromPage(url, { ...sent, ...extra }, { origin: shop, headers });
        expect(response.status).toBe(400);
        const body = (await response.json()) as {
          success: false;
          error: { code: string; fields: { field: string }[] };
        };
        expect(body.error.code).toBe('conflicting_write_keys');
        expect(body.error.fields.map((f) => f.field)).toEqual(places);
        await neverArrives(sent.messageId);
      }
    });

    it('401 for an unknown key in the body, without CORS headers', async () => {
      const response = await fromPage(
        `${base}/v1/p`,
        { ...page(), writeKey: 'trb_not_a_key' },
        { origin: shop },
      );
      expect(response.status).toBe(401);
      expect(cors(response).origin).toBeNull();
    });

    it('400 invalid_json for a text/plain body that is not JSON, with CORS when the key is elsewhere', async () => {
      const keyless = await fromPage(`${base}/v1/p`, 'not json', { origin: shop });
      expect(keyless.status).toBe(400);
      expect(((await keyless.json()) as { error: { code: string } }).error.code).toBe(
        'invalid_json',
      );
      const withKey = await fromPage(
        `${base}/v1/p?writeKey=${encodeURIComponent(browserKey.key)}`,
        '{"type":"page",',
        { origin: shop },
      );
      expect(withKey.status).toBe(400);
      expect(cors(withKey).origin).toBe(shop);
      expect(await withKey.json()).toMatchObject({
        success: false,
        error: { code: 'invalid_json', fields: [{ field: 'body' }] },
      });
    });

    it('400 for a gzip bomb: inflating stops at 1 MB, nothing is published', async () => {
      const sent = page({ properties: { blob: 'x'.repeat(50 * 1024 * 1024) } });
      const bomb = gzipSync(JSON.stringify({ batch: [sent] }), { level: 9 });
      expect(bomb.length).toBeLessThan(100 * 1024);
      const response = await fromPage(
        `${base}/v1/b?writeKey=${encodeURIComponent(browserKey.key)}`,
        bomb,
        { origin: shop, headers: { 'content-encoding': 'gzip' } },
      );
      expect(response.status).toBe(400);
      expect(cors(response).origin).toBe(shop);
      expect(await response.json()).toMatchObject({ error: { code: 'payload_too_large' } });
      await neverArrives(sent.messageId);
    });

    it('400 for a body that does not decompress as it says, 415 for an unknown encoding', async () => {
      const url = `${base}/v1/p?writeKey=${encodeURIComponent(browserKey.key)}`;
      const broken = await fromPage(url, JSON.stringify(page()), {
        origin: shop,
        headers: { 'content-encoding': 'gzip' },
      });
      expect(broken.status).toBe(400);
      expect(await broken.json()).toMatchObject({
        error: { code: 'invalid_content_encoding', fields: [{ field: 'Content-Encoding' }] },
      });
      const unknown = await fromPage(url, JSON.stringify(page()), {
        origin: shop,
        headers: { 'content-encoding': 'x-what' },
      });
      expect(unknown.status).toBe(415);
      expect(cors(unknown).origin).toBe(shop);
    });

    it('400 for a beacon over 64 KB, and none of it is taken', async () => {
      const batch = [
        page({ properties: { blob: 'y'.repeat(30 * 1024) } }),
        page({ properties: { blob: 'z'.repeat(30 * 1024) } }),
        page({ properties: { blob: 'w'.repeat(10 * 1024) } }),
      ];
      const response = await fromPage(
        `${base}/beacon/v1/batch?writeKey=${encodeURIComponent(browserKey.key)}`,
        { batch },
        { origin: shop },
      );
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({
        success: false,
        message: expect.stringMatching(/at most 65536 bytes/),
        error: { code: 'payload_too_large' },
      });
      await neverArrives(batch[0]!.messageId);
    });
  });

  describe('the tracker', () => {
    it('is served as JavaScript, gzipped when accepted, cacheable, with its ETag', async () => {
      const response = await fetch(`${base}/tracker.js`, {
        headers: { 'accept-encoding': 'gzip' },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/javascript/);
      expect(response.headers.get('content-encoding')).toBe('gzip');
      expect(response.headers.get('cache-control')).toMatch(/max-age=\d+/);
      const etag = response.headers.get('etag')!;
      expect(await response.text()).toContain('tributary');
      const again = await fetch(`${base}/tracker.js`, {
        headers: { 'accept-encoding': 'gzip', 'if-none-match': etag },
      });
      expect(again.status).toBe(304);
    });

    it('carries CORS headers for origins a browser key lists, none for others', async () => {
      const allowed = await fetch(`${base}/tracker.js`, { headers: { origin: shop } });
      expect(cors(allowed).origin).toBe(shop);
      const other = await fetch(`${base}/tracker.js`, {
        headers: { origin: 'https://evil.example' },
      });
      expect(other.status).toBe(200);
      expect(cors(other).origin).toBeNull();
    });
  });
});
