import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collections } from '../../infra/spec.ts';
import { createApiKey } from '../../functions/src/ingest/apiKeys.ts';
import { FirestoreApiKeyRegistry } from '../../functions/src/admin/apiKeyRegistry.ts';
import { eventually, startTestPipeline, type TestPipeline } from '../support/pipeline.ts';

type Answer = {
  batchId: string;
  keyId: string;
  status: string;
  rows: number;
  insertedCount: number;
  failedCount: number;
  errors: { row: number; field: string; message: string }[];
  error?: { code: string; fields?: { field: string; message: string }[] };
};

const csv = [
  'event_id,Event Type,timestamp,user_id',
  'op-1,test_started,2026-01-02T10:00:00Z,u-1',
  'op-2,Not A Type,2026-01-02T10:05:00Z,u-1',
  'op-3,test_completed,yesterday,u-2',
  'op-4,test_completed,2026-01-02T10:09:00Z,u-2',
].join('\r\n');

/** Uploads for operators: every key's uploads, and an upload made for a chosen key. */
describe('operator uploads (/v1/admin/uploads)', () => {
  let pipeline: TestPipeline;
  let registry: FirestoreApiKeyRegistry;

  beforeAll(async () => {
    pipeline = await startTestPipeline({ label: 'opuploads' });
    registry = new FirestoreApiKeyRegistry(pipeline.firestore);
  });
  afterAll(async () => {
    await pipeline.close();
  });

  function uploadFor(keyId: string | null, body = csv, token = pipeline.adminToken) {
    const form = new FormData();
    form.append('file', new Blob([body], { type: 'text/csv' }), 'scores.csv');
    const query = keyId === null ? '' : `?keyId=${encodeURIComponent(keyId)}`;
    return fetch(`${pipeline.urls.api}/v1/admin/uploads${query}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    });
  }

  function admin(path: string) {
    return fetch(`${pipeline.urls.api}${path}`, {
      headers: { authorization: `Bearer ${pipeline.adminToken}` },
    });
  }

  it("uploads for the chosen key: the events are that key's, the record lists every bad row", async () => {
    const { key, keyId } = await createApiKey(registry, { name: 'event-metrics' });
    const response = await uploadFor(keyId);
    expect(response.status).toBe(200);
    const body = (await response.json()) as Answer;
    expect(body).toMatchObject({ keyId, status: 'completed', rows: 4, insertedCount: 2 });
    expect(body.errors.map(({ row, field }) => ({ row, field }))).toEqual([
      { row: 3, field: 'Event Type' },
      { row: 4, field: 'timestamp' },
    ]);

    const producers = await eventually(
      async () => {
        const snapshot = await pipeline.firestore
          .collection(collections.events.name)
          .where('producer', '==', keyId)
          .get();
        const docs = snapshot.docs.map((doc) => doc.data());
        return docs.length === 2 && docs.every((doc) => doc.status === 'PROCESSED')
          ? docs
          : undefined;
      },
      { what: 'the two good rows to be PROCESSED' },
    );
    expect(producers.map((doc) => doc.source)).toEqual(['csv', 'csv']);

    // The record is the same whoever asks: the operator, or the key itself.
    const record = (await (await admin(`/v1/admin/uploads/${body.batchId}`)).json()) as Answer;
    expect(record).toMatchObject({ batchId: body.batchId, keyId, fileName: 'scores.csv' });
    expect(record.errors).toEqual(body.errors);
    const own = await fetch(`${pipeline.urls.api}/v1/uploads/${body.batchId}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(own.status).toBe(200);

    // The same file again: event_id makes every good row a duplicate.
    const again = (await (await uploadFor(keyId)).json()) as Answer & { duplicateCount: number };
    expect(again).toMatchObject({ insertedCount: 0, duplicateCount: 2, failedCount: 2 });
  });

  it('lists the latest uploads of every key, newest first, without their row errors', async () => {
    const { keyId: other } = await createApiKey(registry, { name: 'second' });
    const latest = (await (await uploadFor(other)).json()) as Answer;
    const response = await admin('/v1/admin/uploads?limit=2');
    expect(response.status).toBe(200);
    const { items } = (await response.json()) as { items: Record<string, unknown>[] };
    expect(items).toHaveLength(2);
    expect(items[0]).toMatchObject({ batchId: latest.batchId, keyId: other, rows: 4 });
    expect(items[0]).not.toHaveProperty('errors');
    expect(Date.parse(String(items[0]!.startedAt))).toBeGreaterThanOrEqual(
      Date.parse(String(items[1]!.startedAt)),
    );
  });

  it.each([
    ['an unknown key', 'key_0000000000000000', 'no such API key'],
    ['no key', null, 'required'],
  ])('refuses %s, naming keyId, and records nothing', async (_, keyId, message) => {
    const before = (await pipeline.firestore.collection(collections.uploadBatches.name).get()).size;
    const response = await uploadFor(keyId);
    expect(response.status).toBe(400);
    const body = (await response.json()) as Answer;
    expect(body.error?.fields?.[0]?.field).toBe('keyId');
    expect(body.error?.fields?.[0]?.message).toContain(message);
    expect((await pipeline.firestore.collection(collections.uploadBatches.name).get()).size).toBe(
      before,
    );
  });

  it('refuses a revoked key and a browser key', async () => {
    const { keyId: revoked } = await createApiKey(registry, { name: 'gone' });
    await registry.revoke(revoked, new Date());
    const refused = (await (await uploadFor(revoked)).json()) as Answer;
    expect(refused.error?.fields).toEqual([{ field: 'keyId', message: 'the key is revoked' }]);

    const { keyId: browser } = await createApiKey(registry, {
      name: 'site',
      allowedOrigins: ['https://shop.example'],
    });
    const response = await uploadFor(browser);
    expect(response.status).toBe(400);
    expect(((await response.json()) as Answer).error?.fields?.[0]?.message).toContain(
      'browser key',
    );
  });

  it('takes the admin token only, and answers 404 for an unknown upload', async () => {
    const { key, keyId } = await createApiKey(registry, { name: 'not-an-operator' });
    expect((await uploadFor(keyId, csv, key)).status).toBe(401);
    expect((await admin('/v1/admin/uploads/no-such-batch')).status).toBe(404);
    const badLimit = await admin('/v1/admin/uploads?limit=0');
    expect(badLimit.status).toBe(400);
    expect(((await badLimit.json()) as Answer).error?.fields?.map((field) => field.field)).toEqual([
      'limit',
    ]);
  });
});
