import { randomUUID } from 'node:crypto';
import type { DocumentReference, Firestore } from '@google-cloud/firestore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collections } from '../../infra/spec.ts';
import { loaderDeps } from '../../functions/src/entries/warehouse.ts';
import { trackingEventId } from '../../functions/src/ingest/tracking/trackingMessageToEvent.ts';
import { createLogger } from '../../functions/src/lib/logger.ts';
import { runLoader } from '../../functions/src/warehouse/loadWarehouse.ts';
import { sleep } from '../../scripts/lib/emulators.ts';
import {
  eventually,
  postJson,
  startTestPipeline,
  waitForStatus,
  type TestPipeline,
} from '../support/pipeline.ts';

const shop = 'https://shop.example';

/** Addresses and a user agent no test data holds, so any copy of them is found. */
const clientV4 = '198.51.100.173';
const clientV6 = '2001:db8:7e57:ad:1:2:3:173';
/** What a client may put before the front end's entry: never stored either. */
const claimedByClient = '192.0.2.217';
const userAgent = 'DistinctiveAgent/9.8.7 (address-audit; x64)';
/** Every form an address could be written in: as sent, an IPv6 /64, its prefix alone. */
const needles = [
  clientV4,
  clientV6,
  claimedByClient,
  '2001:db8:7e57:ad::/64',
  '2001:db8:7e57:ad:',
  userAgent,
];

type CreatedKey = { key: string; keyId: string };

const page = (fields: Record<string, unknown> = {}) => ({
  type: 'page',
  messageId: randomUUID(),
  properties: { path: '/checkout', url: 'https://shop.example/checkout' },
  ...fields,
});

/** Every document of every collection, subcollections and bare parents included. */
async function everyDocument(firestore: Firestore): Promise<{ path: string; text: string }[]> {
  const found: { path: string; text: string }[] = [];
  const walk = async (refs: DocumentReference[]): Promise<void> => {
    for (const ref of refs) {
      const snapshot = await ref.get();
      found.push({ path: ref.path, text: JSON.stringify(snapshot.data() ?? null) });
      for (const sub of await ref.listCollections()) await walk(await sub.listDocuments());
    }
  };
  for (const collection of await firestore.listCollections())
    await walk(await collection.listDocuments());
  return found;
}

/**
 * Events sent from browsers with a distinctive client address and user agent, through
 * every door a page uses (a cookieless key, a key whose page keeps an id, refusals, the
 * per-address limit) and a server's: afterwards neither appears in a warehouse row, a
 * Firestore document of any collection, or a log line of any level.
 */
describe('a client address is never stored', () => {
  let pipeline: TestPipeline;
  const lines: string[] = [];
  const keys: Record<'cookieless' | 'stored', CreatedKey> = {} as never;

  beforeAll(async () => {
    pipeline = await startTestPipeline({
      label: 'address',
      overrides: () => ({
        logger: createLogger({
          level: 'trace',
          destination: { write: (line: string) => lines.push(line) },
        }),
      }),
      // A small per-address limit, so the burst below is limited and its subject shared.
      ingestOverrides: (deps) => ({
        ...deps,
        limits: { ...deps.limits, browserRateLimitPerSecond: 2, browserRateLimitBurst: 6 },
      }),
    });
    for (const visitors of ['cookieless', 'stored'] as const) {
      const created = await postJson(
        `${pipeline.urls.api}/v1/admin/api-keys`,
        { name: visitors, siteId: `audit-${visitors}`, allowedOrigins: [shop], visitors },
        { authorization: `Bearer ${pipeline.adminToken}` },
      );
      if (created.status !== 201) throw new Error(`${visitors} key: ${created.status}`);
      keys[visitors] = (await created.json()) as CreatedKey;
    }
  });
  afterAll(async () => {
    await pipeline.close();
  });

  const fromBrowser = (path: string, body: unknown, address: string, origin = shop) =>
    fetch(`${pipeline.urls.ingest}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'text/plain',
        origin,
        'user-agent': userAgent,
        'x-forwarded-for': `${claimedByClient}, ${address}`,
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  it('reaches no warehouse row, Firestore document or log line', async () => {
    const accepted: [CreatedKey, string][] = [];
    for (const address of [clientV4, clientV6]) {
      const cookieless = [page(), page({ userId: 'user-7' })];
      const stored = [page({ anonymousId: `anon-${randomUUID()}` })];
      for (const [key, batch] of [
        [keys.cookieless, cookieless],
        [keys.stored, stored],
      ] as const) {
        const response = await fromBrowser('/v1/batch', { batch, writeKey: key.key }, address);
        expect(response.status).toBe(200);
        for (const message of batch) accepted.push([key, message.messageId]);
      }
      // Refusals: an anonymousId to a cookieless key, a body that is not JSON, another origin.
      const refused = [
        await fromBrowser(
          '/v1/batch',
          { batch: [page({ anonymousId: 'a' })], writeKey: keys.cookieless.key },
          address,
        ),
        await fromBrowser(`/v1/batch?writeKey=${keys.stored.key}`, '{"batch": [', address),
        await fromBrowser(
          '/v1/batch',
          { batch: [page({ anonymousId: 'a' })], writeKey: keys.stored.key },
          address,
          'https://elsewhere.example',
        ),
      ];
      expect(refused.map((r) => r.status)).toEqual([400, 400, 403]);
    }
    // A server's event, with the same headers.
    const server = await postJson(
      `${pipeline.urls.ingest}/v1/events`,
      { eventType: 'order.placed', payload: { total: 12 }, siteId: 'audit-server' },
      {
        authorization: `Bearer ${pipeline.apiKey}`,
        'user-agent': userAgent,
        'x-forwarded-for': `${claimedByClient}, ${clientV4}`,
      },
    );
    expect(server.status).toBe(202);
    // A burst from one address: limited, and busy enough to be shared in Firestore.
    const burst = await Promise.all(
      Array.from({ length: 30 }, () =>
        fromBrowser('/v1/batch', { batch: [page()], writeKey: keys.cookieless.key }, clientV4),
      ),
    );
    const statuses = burst.map((r) => r.status);
    expect(statuses).toContain(429);
    await Promise.all(burst.map((response) => response.text()));
    // Requests go on while shares are exchanged: a subject is reported a sync after it is shared.
    await eventually(
      async () => {
        await (
          await fromBrowser(
            '/v1/batch',
            { batch: [page()], writeKey: keys.cookieless.key },
            clientV4,
          )
        ).text();
        const subjects = await pipeline.firestore
          .collection(collections.rateLimitSubjects.name)
          .listDocuments();
        return subjects.length > 0 ? true : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 250, what: 'a shared per-address limit in Firestore' },
    );

    await Promise.all(
      accepted.map(([key, messageId]) =>
        waitForStatus(pipeline, trackingEventId(key.keyId, messageId), 'PROCESSED'),
      ),
    );
    await runLoader(loaderDeps(pipeline.runtime));
    // Whatever was still on its way is settled before looking.
    await sleep(500);

    const tables = await pipeline.runtime.warehouse.query(
      "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema = 'tributary'",
      {},
    );
    expect(tables.map((t) => t.table_name)).toContain('events');
    const rows: string[] = [];
    for (const { table_schema: schema, table_name: table } of tables) {
      const found = await pipeline.runtime.warehouse.query(
        `SELECT * FROM "${String(schema)}"."${String(table)}"`,
        {},
      );
      rows.push(...found.map((row) => JSON.stringify(row)));
    }
    expect(rows.length).toBeGreaterThanOrEqual(accepted.length);
    const documents = await everyDocument(pipeline.firestore);
    expect(documents.length).toBeGreaterThan(accepted.length);
    expect(lines.length).toBeGreaterThan(0);

    for (const needle of needles) {
      expect(rows.filter((row) => row.includes(needle))).toEqual([]);
      expect(
        documents.filter((doc) => doc.path.includes(needle) || doc.text.includes(needle)),
      ).toEqual([]);
      expect(lines.filter((line) => line.includes(needle))).toEqual([]);
    }
  });
});
