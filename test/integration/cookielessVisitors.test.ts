import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loaderDeps } from '../../functions/src/entries/warehouse.ts';
import { trackingEventId } from '../../functions/src/ingest/tracking/trackingMessageToEvent.ts';
import { runLoader } from '../../functions/src/warehouse/loadWarehouse.ts';
import {
  postJson,
  startTestPipeline,
  waitForStatus,
  type TestPipeline,
} from '../support/pipeline.ts';

const shop = 'https://shop.example';
const firefox = 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0';
const safari = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 Safari/605.1.15';

type CreatedKey = { key: string; keyId: string; visitors: string | null };
type FieldErrors = { error: { code: string; fields: { field: string; message: string }[] } };

const page = (fields: Record<string, unknown> = {}) => ({
  type: 'page',
  messageId: randomUUID(),
  properties: { path: '/pricing', url: 'https://shop.example/pricing' },
  ...fields,
});

/**
 * A browser key that counts visitors without cookies, through the admin API and the
 * tracking routes: the option and its refusals, the visitor id ingest derives (one per
 * site, address and user agent), a page's userId over it, an anonymousId refused.
 */
describe('browser keys that count visitors without cookies', () => {
  let pipeline: TestPipeline;
  let cookieless: CreatedKey;

  const admin = () => ({ authorization: `Bearer ${pipeline.adminToken}` });
  const createKey = (body: Record<string, unknown>) =>
    postJson(`${pipeline.urls.api}/v1/admin/api-keys`, body, admin());

  /** A batch as the tracker sends it, from one address and browser. */
  const send = (
    messages: unknown[],
    from: { address: string; userAgent: string },
    key: CreatedKey = cookieless,
  ) =>
    fetch(`${pipeline.urls.ingest}/v1/batch`, {
      method: 'POST',
      headers: {
        'content-type': 'text/plain',
        origin: shop,
        'user-agent': from.userAgent,
        // The front end appends the caller's address; what comes before is the client's say.
        'x-forwarded-for': `10.1.2.3, ${from.address}`,
      },
      body: JSON.stringify({ batch: messages, writeKey: key.key }),
    });

  /** The user of each message's event, once processed and loaded into the warehouse. */
  async function usersOf(...messages: { messageId: string }[]): Promise<(string | null)[]> {
    const ids = messages.map((m) => trackingEventId(cookieless.keyId, m.messageId));
    await Promise.all(ids.map((id) => waitForStatus(pipeline, id, 'PROCESSED')));
    await runLoader(loaderDeps(pipeline.runtime));
    const rows = await pipeline.runtime.warehouse.query(
      'SELECT DISTINCT event_id, user_id FROM tributary.events',
      {},
    );
    const users = new Map(rows.map((row) => [row.event_id, row.user_id as string | null]));
    return ids.map((id) => users.get(id) ?? null);
  }

  beforeAll(async () => {
    pipeline = await startTestPipeline({ label: 'cookieless' });
    const created = await createKey({
      name: 'shop site',
      siteId: 'shop',
      allowedOrigins: [shop],
      visitors: 'cookieless',
    });
    if (created.status !== 201) throw new Error(`cookieless key: ${created.status}`);
    cookieless = (await created.json()) as CreatedKey;
  });
  afterAll(async () => {
    await pipeline.close();
  });

  describe('the option on the key', () => {
    it('is in the answer and the list: cookieless, stored by default, null for a server key', async () => {
      expect(cookieless.visitors).toBe('cookieless');
      const stored = (await (
        await createKey({ name: 'blog', allowedOrigins: ['https://blog.example'] })
      ).json()) as CreatedKey;
      expect(stored.visitors).toBe('stored');
      const list = (await (
        await fetch(`${pipeline.urls.api}/v1/admin/api-keys`, { headers: admin() })
      ).json()) as { items: { keyId: string; browser: boolean; visitors: string | null }[] };
      const byId = new Map(list.items.map((item) => [item.keyId, item.visitors]));
      expect(byId.get(cookieless.keyId)).toBe('cookieless');
      expect(byId.get(stored.keyId)).toBe('stored');
      expect(list.items.filter((item) => !item.browser).map((item) => item.visitors)).toContain(
        null,
      );
    });

    it.each([
      [{ name: 'server', visitors: 'cookieless' }, 'visitors', 'only a browser key'],
      [{ name: 'odd', allowedOrigins: [shop], visitors: 'none' }, 'visitors', 'stored'],
      [{ name: 'odd', allowedOrigins: [shop], visitors: true }, 'visitors', 'stored'],
    ])('refuses %j with 400 naming %s', async (body, field, says) => {
      const response = await createKey(body);
      expect(response.status).toBe(400);
      const { error } = (await response.json()) as FieldErrors;
      expect(error.fields).toEqual([{ field, message: expect.stringContaining(says) }]);
    });
  });

  describe('the visitor id', () => {
    it('is one id for one browser at one address all day, another for another browser or address', async () => {
      const first = page();
      const second = page({ properties: { path: '/docs', url: 'https://shop.example/docs' } });
      const otherBrowser = page();
      const otherAddress = page();
      expect((await send([first], { address: '198.51.100.20', userAgent: firefox })).status).toBe(
        200,
      );
      expect((await send([second], { address: '198.51.100.20', userAgent: firefox })).status).toBe(
        200,
      );
      expect(
        (await send([otherBrowser], { address: '198.51.100.20', userAgent: safari })).status,
      ).toBe(200);
      expect(
        (await send([otherAddress], { address: '2001:db8:20::1', userAgent: firefox })).status,
      ).toBe(200);
      const [a, b, c, d] = await usersOf(first, second, otherBrowser, otherAddress);
      expect(a).toMatch(/^vis_[A-Za-z0-9_-]{22}$/);
      expect(b).toBe(a);
      expect(new Set([a, c, d]).size).toBe(3);
    });

    it('gives way to a userId the page gives: identify, and the calls after it', async () => {
      const identify = { type: 'identify', messageId: randomUUID(), userId: 'user-42' };
      const after = page({ userId: 'user-42' });
      const from = { address: '198.51.100.21', userAgent: firefox };
      expect((await send([identify, after], from)).status).toBe(200);
      expect(await usersOf(identify, after)).toEqual(['user-42', 'user-42']);
    });

    it('refuses an anonymousId with 400 naming it, in a batch by index and on a single call', async () => {
      const from = { address: '198.51.100.22', userAgent: firefox };
      const kept = page();
      const refused = page({ anonymousId: 'anon-1' });
      const batch = await send([kept, refused], from);
      expect(batch.status).toBe(200);
      expect(await batch.json()).toMatchObject({
        accepted: 1,
        rejected: 1,
        errors: [
          {
            index: 1,
            messageId: refused.messageId,
            fields: [{ field: 'anonymousId', message: expect.stringContaining('without cookies') }],
          },
        ],
      });
      const alone = await send([page({ anonymousId: 'anon-2' })], from);
      expect(alone.status).toBe(400);
      expect(((await alone.json()) as FieldErrors).error.fields).toEqual([
        { field: 'batch.0.anonymousId', message: expect.stringContaining('without cookies') },
      ]);
      const single = await fetch(`${pipeline.urls.ingest}/v1/page`, {
        method: 'POST',
        headers: {
          'content-type': 'text/plain',
          origin: shop,
          authorization: `Bearer ${cookieless.key}`,
        },
        body: JSON.stringify(page({ anonymousId: 'anon-3' })),
      });
      expect(single.status).toBe(400);
      expect(((await single.json()) as FieldErrors).error).toMatchObject({
        code: 'invalid_message',
        fields: [{ field: 'anonymousId' }],
      });
      expect((await usersOf(kept))[0]).toMatch(/^vis_/);
    });
  });
});
