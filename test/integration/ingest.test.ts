import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../infra/spec.ts';
import { SwitchablePublisher } from '../support/injectedFaults.ts';
import { createApiKey, FirestoreApiKeyStore } from '../../functions/src/ingest/apiKeys.ts';
import {
  postJson,
  startTestPipeline,
  waitForStatus,
  type TestPipeline,
} from '../support/pipeline.ts';

const event = {
  eventType: 'page.viewed',
  payload: { title: 'Home' },
  siteId: 'site-1',
  userId: 'u-1',
  path: '/',
};

async function errorBody(
  response: Response,
): Promise<{ error: { code: string; message: string; fields?: { field: string }[] } }> {
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await response.json()) as {
    error: { code: string; message: string; fields?: { field: string }[] };
  };
  expect(typeof body.error.code).toBe('string');
  expect(body.error.message).not.toMatch(/\n\s+at /);
  return body;
}

describe('ingest over HTTP', () => {
  let pipeline: TestPipeline;
  let publisher: SwitchablePublisher;
  let url: string;
  let auth: Record<string, string>;

  beforeAll(async () => {
    pipeline = await startTestPipeline({
      label: 'ingest',
      env: { MAX_EVENT_BYTES: '2000', MAX_BATCH_BYTES: '20000', MAX_BATCH_EVENTS: '5' },
      overrides: (base) => {
        publisher = new SwitchablePublisher(base.publisher);
        return { publisher };
      },
    });
    url = `${pipeline.urls.ingest}/v1/events`;
    auth = { authorization: `Bearer ${pipeline.apiKey}` };
  });
  afterAll(async () => {
    await pipeline.close();
  });

  it('accepts an event with 202 and its id', async () => {
    const response = await postJson(url, event, auth);
    expect(response.status).toBe(202);
    const body = (await response.json()) as { eventId: string; receivedAt: string };
    expect(body.eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Date(body.receivedAt).toISOString()).toBe(body.receivedAt);
  });

  describe('Idempotency-Key', () => {
    it('returns the original event for the same key and body, 200 not a second event', async () => {
      const headers = { ...auth, 'idempotency-key': 'order-1' };
      const first = await postJson(url, event, headers);
      expect(first.status).toBe(202);
      const original = (await first.json()) as { eventId: string; receivedAt: string };
      // Same event, other key order and whitespace.
      const reordered = Object.fromEntries(Object.entries(event).reverse());
      const again = await postJson(url, JSON.stringify(reordered, null, 2), headers);
      expect(again.status).toBe(200);
      expect(await again.json()).toEqual({ ...original, duplicate: true });
    });

    it('answers 409 for the same key with a different body', async () => {
      const headers = { ...auth, 'idempotency-key': 'order-2' };
      expect((await postJson(url, event, headers)).status).toBe(202);
      const conflict = await postJson(url, { ...event, payload: { title: 'Other' } }, headers);
      expect(conflict.status).toBe(409);
      expect((await errorBody(conflict)).error.code).toBe('idempotency_conflict');
    });

    it('keys are per producer: another key may reuse the same idempotency key', async () => {
      const other = await createApiKey(new FirestoreApiKeyStore(pipeline.firestore), {
        name: 'other',
      });
      const first = await postJson(url, event, { ...auth, 'idempotency-key': 'shared' });
      const second = await postJson(url, event, {
        authorization: `Bearer ${other.key}`,
        'idempotency-key': 'shared',
      });
      expect([first.status, second.status]).toEqual([202, 202]);
    });

    it('answers 503 with Retry-After when the publish fails, and a retry with the same key gets the event in', async () => {
      const headers = { ...auth, 'idempotency-key': 'order-3' };
      publisher.failing = true;
      const failed = await postJson(url, event, headers);
      publisher.failing = false;
      expect(failed.status).toBe(503);
      expect(Number(failed.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await errorBody(failed)).error.code).toBe('unavailable');

      const retried = await postJson(url, event, headers);
      expect(retried.status).toBe(200);
      const { eventId } = (await retried.json()) as { eventId: string };
      const record = await waitForStatus(pipeline, eventId, 'PROCESSED');
      expect(record.attempts).toBe(1);
      // The status record shows the key the producer sent the event with.
      expect(record.idempotencyKey).toBe('order-3');
    });

    it('rejects an empty or oversized key with 400', async () => {
      const response = await postJson(url, event, { ...auth, 'idempotency-key': 'k'.repeat(256) });
      expect(response.status).toBe(400);
      expect((await errorBody(response)).error.fields?.[0]?.field).toBe('Idempotency-Key');
    });

    it('X-Idempotency-Key is the same header: the same key with another body is 409, never a second event', async () => {
      const first = await postJson(url, event, { ...auth, 'x-idempotency-key': 'relay-1' });
      expect(first.status).toBe(202);
      const { eventId } = (await first.json()) as { eventId: string };
      const again = await postJson(url, event, { ...auth, 'idempotency-key': 'relay-1' });
      expect(again.status).toBe(200);
      expect(((await again.json()) as { eventId: string }).eventId).toBe(eventId);
      const other = { ...event, payload: { title: 'Other' } };
      const conflict = await postJson(url, other, { ...auth, 'x-idempotency-key': 'relay-1' });
      expect(conflict.status).toBe(409);
    });

    it('refuses both headers with different values, naming both, and publishes nothing', async () => {
      const before = publisher.attempts.get(topics.events.name) ?? 0;
      const response = await postJson(url, event, {
        ...auth,
        'idempotency-key': 'a',
        'x-idempotency-key': 'b',
      });
      expect(response.status).toBe(400);
      const body = await errorBody(response);
      expect(body.error.code).toBe('conflicting_idempotency_keys');
      expect(body.error.fields?.map((f) => f.field)).toEqual([
        'Idempotency-Key',
        'X-Idempotency-Key',
      ]);
      expect(publisher.attempts.get(topics.events.name) ?? 0).toBe(before);
    });

    it('refuses an idempotency header on the batch route instead of ignoring it', async () => {
      const before = publisher.attempts.get(topics.events.name) ?? 0;
      const response = await postJson(
        `${url}/batch`,
        { events: [event] },
        { ...auth, 'x-idempotency-key': 'batch-1' },
      );
      expect(response.status).toBe(400);
      const body = await errorBody(response);
      expect(body.error.code).toBe('idempotency_key_not_taken');
      expect(body.error.message).toContain('idempotencyKey');
      expect(publisher.attempts.get(topics.events.name) ?? 0).toBe(before);
    });
  });

  describe('every error is JSON with the right status', () => {
    it('400 names the failing fields', async () => {
      const response = await postJson(
        url,
        { eventType: 'Not Dotted', payload: 'x', occurredAt: 'yesterday', extra: 1 },
        auth,
      );
      expect(response.status).toBe(400);
      const fields = (await errorBody(response)).error.fields?.map((f) => f.field);
      expect(fields).toEqual(
        expect.arrayContaining(['eventType', 'payload', 'occurredAt', '(root)']),
      );
    });

    it('400 for malformed JSON', async () => {
      const response = await postJson(url, '{"eventType":', auth);
      expect(response.status).toBe(400);
      expect((await errorBody(response)).error.code).toBe('invalid_json');
    });

    it('400 for JSON nested deeper than allowed', async () => {
      const deep = '{"a":'.repeat(40) + '1' + '}'.repeat(40);
      const response = await postJson(url, `{"eventType":"a.b","payload":${deep}}`, auth);
      expect(response.status).toBe(400);
    });

    it.each([
      ['no Authorization header', {}],
      ['an unknown key', { authorization: 'Bearer trb_unknown' }],
      ['another scheme', { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }],
    ])('401 with %s', async (_, headers) => {
      const response = await postJson(url, event, headers);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect((await errorBody(response)).error.code).toBe('unauthenticated');
    });

    it('404 for an unknown path', async () => {
      const response = await postJson(`${pipeline.urls.ingest}/v2/things`, event, auth);
      expect(response.status).toBe(404);
      expect((await errorBody(response)).error.code).toBe('not_found');
    });

    it('405 with Allow for another method', async () => {
      const response = await fetch(url, { method: 'GET', headers: auth });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('POST');
      await errorBody(response);
    });

    it('413 for an event over the size limit', async () => {
      const response = await postJson(url, { ...event, payload: { blob: 'x'.repeat(3000) } }, auth);
      expect(response.status).toBe(413);
      expect((await errorBody(response)).error.code).toBe('payload_too_large');
    });

    it('413 for a batch over the size limit', async () => {
      const events = Array.from({ length: 5 }, () => ({
        ...event,
        payload: { blob: 'x'.repeat(4500) },
      }));
      const response = await postJson(`${url}/batch`, { events }, auth);
      expect(response.status).toBe(413);
      await errorBody(response);
    });

    it('415 for a body that is not JSON', async () => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'text/plain' },
        body: 'hello',
      });
      expect(response.status).toBe(415);
      expect((await errorBody(response)).error.code).toBe('unsupported_media_type');
    });

    it('429 with Retry-After past the key’s rate limit', async () => {
      const limited = await createApiKey(new FirestoreApiKeyStore(pipeline.firestore), {
        name: 'slow',
        rateLimitPerSecond: 1,
      });
      const headers = { authorization: `Bearer ${limited.key}` };
      const responses: Response[] = [];
      for (let i = 0; i < 4; i += 1) responses.push(await postJson(url, event, headers));
      expect(responses.slice(0, 2).map((r) => r.status)).toEqual([202, 202]);
      const tooMany = responses.find((r) => r.status === 429);
      expect(tooMany).toBeDefined();
      expect(Number(tooMany!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await errorBody(tooMany!)).error.code).toBe('rate_limited');
    });
  });

  describe('POST /v1/events/batch', () => {
    it('answers per item: accepted or rejected with the reason', async () => {
      const response = await postJson(
        `${url}/batch`,
        {
          events: [
            event,
            { eventType: 'Bad', payload: {} },
            { ...event, idempotencyKey: 'batch-item-1' },
          ],
        },
        auth,
      );
      expect(response.status).toBe(202);
      const body = (await response.json()) as {
        accepted: number;
        rejected: number;
        results: {
          index: number;
          status: string;
          eventId?: string;
          errors?: { field: string }[];
        }[];
      };
      expect(body).toMatchObject({ accepted: 2, rejected: 1 });
      expect(body.results.map((r) => r.status)).toEqual(['accepted', 'rejected', 'accepted']);
      expect(body.results[1]?.errors?.[0]?.field).toBe('eventType');
      await waitForStatus(pipeline, body.results[0]!.eventId!, 'PROCESSED');
    });

    it('400 when the batch is not an array or holds too many events', async () => {
      const notArray = await postJson(`${url}/batch`, { events: {} }, auth);
      expect(notArray.status).toBe(400);
      expect((await errorBody(notArray)).error.fields?.[0]?.field).toBe('events');
      const tooMany = await postJson(
        `${url}/batch`,
        { events: Array.from({ length: 6 }, () => event) },
        auth,
      );
      expect(tooMany.status).toBe(400);
      await errorBody(tooMany);
    });

    it('400 when no item is valid', async () => {
      const response = await postJson(`${url}/batch`, { events: [{}, { eventType: 'a.b' }] }, auth);
      expect(response.status).toBe(400);
      const body = (await response.json()) as { accepted: number; rejected: number };
      expect(body).toMatchObject({ accepted: 0, rejected: 2 });
    });

    it('503 with Retry-After when publishing fails, and the retry with item keys loses nothing', async () => {
      const events = [
        { ...event, idempotencyKey: 'b-1' },
        { ...event, idempotencyKey: 'b-2' },
      ];
      publisher.failing = true;
      const failed = await postJson(`${url}/batch`, { events }, auth);
      publisher.failing = false;
      expect(failed.status).toBe(503);
      expect(failed.headers.get('retry-after')).not.toBeNull();
      const retried = await postJson(`${url}/batch`, { events }, auth);
      expect(retried.status).toBe(202);
      const body = (await retried.json()) as { results: { status: string; eventId: string }[] };
      expect(body.results.map((r) => r.status)).toEqual(['duplicate', 'duplicate']);
      await Promise.all(body.results.map((r) => waitForStatus(pipeline, r.eventId, 'PROCESSED')));
    });
  });
});
