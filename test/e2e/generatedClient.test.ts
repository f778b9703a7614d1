import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { PubSub } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../infra/spec.ts';
import type { LocalStackInfo } from '../../scripts/lib/localStack.ts';
import {
  getAdminDeadLetters,
  getAdminEventsFailed,
  getEventsByEventId,
  getUploadsByBatchId,
  postAdminApiKeys,
  postUploads,
} from '../generated/api.ts';
import { postEvents } from '../generated/ingest.ts';
import { clientBaseUrls } from '../support/clientBaseUrls.ts';
import { startNpmStart, stopNpmStart } from '../support/npmStart.ts';
import { eventually } from '../support/pipeline.ts';

/** The answer of the expected status, typed as the document says that answer is. */
function answered<R extends { status: number; data: unknown }, S extends R['status']>(
  response: R,
  status: S,
): Extract<R, { status: S }> {
  // Shows the body beside the status when they differ.
  expect({ status: response.status, data: response.data }).toMatchObject({ status });
  return response as Extract<R, { status: S }>;
}

/**
 * A user of the clients generated from the functions' OpenAPI documents
 * (test/generated, `npm run openapi:clients`), against `npm start`: every request goes
 * through them.
 */
describe('the clients generated from the OpenAPI documents, against npm start', () => {
  let stack: ChildProcess;
  let stateDir: string;
  let info: LocalStackInfo;
  let apiKey: string;
  let keyId: string;

  const admin = () => ({ headers: { authorization: `Bearer ${info.adminToken}` } });
  const producer = () => ({ headers: { authorization: `Bearer ${apiKey}` } });

  beforeAll(async () => {
    const started = await startNpmStart('client');
    ({ stateDir, info } = started);
    stack = started.process;
    clientBaseUrls.ingest = info.ingestUrl;
    clientBaseUrls.api = info.apiUrl;
  });
  afterAll(async () => {
    await stopNpmStart(stack, stateDir);
  });

  it('creates an API key with the admin token', async () => {
    const created = answered(
      await postAdminApiKeys({ name: 'generated-client', rateLimitPerSecond: 50 }, admin()),
      201,
    );
    expect(created.data).toMatchObject({
      name: 'generated-client',
      rateLimitPerSecond: 50,
      revoked: false,
      browser: false,
      ingestUrl: info.ingestUrl,
    });
    expect(created.data.key).toMatch(/^trb_/);
    expect(created.data.key.startsWith(created.data.prefix)).toBe(true);
    ({ key: apiKey, keyId } = created.data);
  });

  it('sends an event with the key and reads its status until PROCESSED', async () => {
    const idempotencyKey = randomUUID();
    const event = { eventType: 'order.placed', payload: { amount: 42 }, userId: 'u-7' };
    const withKey = { headers: { ...producer().headers, 'Idempotency-Key': idempotencyKey } };
    const sent = answered(await postEvents(event, withKey), 202);
    const { eventId } = sent.data;
    expect(eventId).toMatch(/^[0-9a-f-]{36}$/);
    // The same key again is the same event.
    const again = answered(await postEvents(event, withKey), 200);
    expect(again.data).toEqual({ eventId, receivedAt: sent.data.receivedAt, duplicate: true });

    const status = await eventually(
      async () => {
        const read = await getEventsByEventId(eventId, admin());
        return read.status === 200 && read.data.status === 'PROCESSED' ? read.data : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250, what: `${eventId} to be PROCESSED` },
    );
    expect(status).toMatchObject({
      eventId,
      eventType: 'order.placed',
      source: 'api',
      producer: keyId,
      idempotencyKey,
      attempts: 1,
      replays: 0,
      lastError: null,
      history: [],
      deliveries: [],
    });
    expect(status.processingLatencyMs).toBeGreaterThanOrEqual(0);

    const unknown = answered(await getEventsByEventId(randomUUID(), admin()), 404);
    expect(unknown.data.error.code).toBe('not_found');
    expect((await getEventsByEventId(eventId, producer())).status).toBe(401);
  });

  it('lists failed events: a message no processor can read, dead-lettered', async () => {
    // A producer outside the API (a broken publisher) is the one way to make an event fail.
    // The emulator takes no credentials: no looking for a metadata server.
    process.env.METADATA_SERVER_DETECTION = 'none';
    const pubsub = new PubSub({
      projectId: info.projectId,
      apiEndpoint: info.pubsubEmulatorHost,
      emulatorMode: true,
    });
    const messageId = await pubsub
      .topic(topics.events.name)
      .publishMessage({ data: Buffer.from('not an event') });
    await pubsub.close();

    const failed = await eventually(
      async () => {
        const page = answered(await getAdminEventsFailed({ limit: 10 }, admin()), 200);
        return page.data.items.length > 0 ? page.data : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250, what: 'a failed event' },
    );
    expect(failed.nextCursor).toBeNull();
    expect(failed.items).toHaveLength(1);
    expect(failed.items[0]).toMatchObject({
      eventId: `message-${messageId}-0`,
      status: 'DEAD_LETTER',
      attempts: 1,
      lastError: { code: 'invalid_message' },
    });
    const deadLetters = answered(await getAdminDeadLetters({}, admin()), 200);
    expect(deadLetters.data.count).toBe(1);
    expect(deadLetters.data.items.map((item) => item.eventId)).toEqual([`message-${messageId}-0`]);
  });

  it('uploads a CSV file of events, multipart', async () => {
    const csv = [
      'event_id,Event Type,timestamp,user_id,note',
      'ev-1,test_started,2025-11-10T10:00:00Z,u-1,first try',
      'ev-2,test_completed,2025-11-10T10:05:00Z,u-1,',
      'ev-3,test_started,yesterday,u-2,',
    ].join('\n');
    const file = () => new File([`${csv}\n`], 'events.csv', { type: 'text/csv' });

    const uploaded = answered(await postUploads({ file: file() }, producer()), 200);
    expect(uploaded.data).toMatchObject({
      status: 'completed',
      rows: 3,
      insertedCount: 2,
      duplicateCount: 0,
      failedCount: 1,
      errors: [{ row: 4, field: 'timestamp' }],
      errorsTruncated: false,
    });
    expect(uploaded.data.columns).toEqual([
      { header: 'event_id', field: 'idempotencyKey' },
      { header: 'Event Type', field: 'eventType' },
      { header: 'timestamp', field: 'occurredAt' },
      { header: 'user_id', field: 'userId' },
      { header: 'note', field: 'payload.note' },
    ]);

    // The rows' event_id makes the same file, sent again, the same events.
    const again = answered(await postUploads({ file: file() }, producer()), 200);
    expect(again.data).toMatchObject({ rows: 3, insertedCount: 0, duplicateCount: 2 });
    expect(again.data.batchId).not.toBe(uploaded.data.batchId);

    const record = answered(await getUploadsByBatchId(uploaded.data.batchId, producer()), 200);
    expect(record.data).toMatchObject({
      batchId: uploaded.data.batchId,
      fileName: 'events.csv',
      status: 'completed',
      rows: 3,
      insertedCount: 2,
      failedCount: 1,
      errors: [{ row: 4, field: 'timestamp' }],
    });
  });
});
