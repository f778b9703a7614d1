import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFunctionRoutes, ingestFunctionRoutes } from '../../functions/src/routeTable.ts';
import type { Route } from '../../functions/src/lib/router.ts';
import { topics } from '../../infra/spec.ts';
import { CountingPublisher } from '../support/counting.ts';
import {
  drainSubscription,
  eventIdsIn,
  startTestPipeline,
  type TestPipeline,
} from '../support/pipeline.ts';

/** A JSON event whose string value holds `bytes` between two ASCII letters. */
function eventWith(bytes: number[]): Buffer {
  return Buffer.concat([
    Buffer.from('{"eventType":"page.viewed","payload":{"title":"a'),
    Buffer.from(bytes),
    Buffer.from('b"}}'),
  ]);
}

const invalidSequences: [string, number[]][] = [
  ['a lone 0xC3', [0xc3]],
  ['0xFF', [0xff]],
  ['a stray continuation byte', [0x80]],
  ['an overlong slash', [0xc0, 0xaf]],
  ['an encoded surrogate', [0xed, 0xa0, 0x80]],
  ['Latin-1 é', [0xe9]],
];

type ErrorBody = {
  error: { code: string; message: string; fields?: { field: string; message: string }[] };
};

/** Every route of both functions that reads a JSON body. */
function jsonBodyRoutes<Deps>(routes: readonly Route<Deps>[]): Route<Deps>[] {
  return routes.filter(
    (route) =>
      route.method !== 'GET' &&
      route.method !== 'DELETE' &&
      !(route.bodyMediaType ?? 'application/json').startsWith('multipart/'),
  );
}

const post = (url: string, body: Buffer | string, headers: Record<string, string>) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });

describe('request bodies that are not valid UTF-8', () => {
  let pipeline: TestPipeline;
  let publisher: CountingPublisher;

  beforeAll(async () => {
    pipeline = await startTestPipeline({
      label: 'encoding',
      overrides: (base) => {
        publisher = new CountingPublisher(base.publisher);
        return { publisher };
      },
    });
  });
  afterAll(async () => {
    await pipeline.close();
  });

  /**
   * What requests published since the count was cleared. processEvent publishes through
   * the same counting publisher, and its fan-out of an event accepted by an earlier test
   * can land at any moment, so `events-processed` is left out.
   */
  const publishedByRequests = () =>
    [...publisher.byTopic].filter(([topic]) => topic !== topics.eventsProcessed.name);

  it.each(invalidSequences)(
    'POST /v1/events with %s is refused 400 invalid_encoding, and nothing is published',
    async (_, bytes) => {
      publisher.reset();
      const response = await post(`${pipeline.urls.ingest}/v1/events`, eventWith(bytes), {
        authorization: `Bearer ${pipeline.apiKey}`,
      });
      expect(response.status).toBe(400);
      const body = (await response.json()) as ErrorBody;
      expect(body.error.code).toBe('invalid_encoding');
      expect(body.error.fields).toEqual([
        { field: 'body', message: 'is not valid UTF-8: invalid byte sequence at byte 48' },
      ]);
      expect(publishedByRequests()).toEqual([]);
    },
  );

  it('refuses a batch with one bad item whole, before any item is published', async () => {
    publisher.reset();
    const good = Buffer.from('{"eventType":"page.viewed"}');
    const body = Buffer.concat([
      Buffer.from('{"events":['),
      good,
      Buffer.from(','),
      eventWith([0xc3]),
      Buffer.from(']}'),
    ]);
    const response = await post(`${pipeline.urls.ingest}/v1/events/batch`, body, {
      authorization: `Bearer ${pipeline.apiKey}`,
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as ErrorBody).error.code).toBe('invalid_encoding');
    expect(publishedByRequests()).toEqual([]);
  });

  it('refuses a charset other than UTF-8 with 415 naming Content-Type', async () => {
    const response = await post(
      `${pipeline.urls.ingest}/v1/events`,
      Buffer.from('{"eventType":"page.viewed"}', 'utf16le'),
      {
        authorization: `Bearer ${pipeline.apiKey}`,
        'content-type': 'application/json; charset=utf-16le',
      },
    );
    expect(response.status).toBe(415);
    const body = (await response.json()) as ErrorBody;
    expect(body.error.code).toBe('unsupported_charset');
    expect(body.error.fields?.[0]?.field).toBe('Content-Type');
  });

  it('accepts valid UTF-8 in any script and publishes it byte for byte', async () => {
    const title = 'café — 東京 😀 \u00a0';
    const subscription = `encoding-${Date.now()}`;
    await pipeline.pubsub.topic('events').createSubscription(subscription);
    const response = await post(
      `${pipeline.urls.ingest}/v1/events`,
      JSON.stringify({ eventType: 'page.viewed', payload: { title } }),
      {
        authorization: `Bearer ${pipeline.apiKey}`,
        'content-type': 'application/json; charset=UTF-8',
      },
    );
    expect(response.status).toBe(202);
    const { eventId } = (await response.json()) as { eventId: string };
    const messages = await drainSubscription(pipeline.pubsub, subscription, {
      until: (arrived) => arrived.some((m) => eventIdsIn(m).includes(eventId)),
    });
    await pipeline.pubsub.subscription(subscription).delete();
    const message = messages.find((m) => eventIdsIn(m).includes(eventId));
    expect(message?.data.toString('utf8')).toContain(JSON.stringify(title).slice(1, -1));
  });

  const bodyRoutes = [
    ...jsonBodyRoutes(ingestFunctionRoutes).map((route) => ({ fn: 'ingest' as const, route })),
    ...jsonBodyRoutes(apiFunctionRoutes).map((route) => ({ fn: 'api' as const, route })),
  ];

  it('covers every JSON route of both functions', () => {
    expect(bodyRoutes.filter((r) => r.fn === 'api').length).toBeGreaterThanOrEqual(8);
  });

  it.each(
    bodyRoutes.map(({ fn, route }) => [`${fn} ${route.method} ${route.path}`, fn, route] as const),
  )('%s refuses invalid UTF-8 with 400 invalid_encoding', async (_, fn, route) => {
    publisher.reset();
    const path = route.path.replace(/:[A-Za-z]+/g, 'no-such-id');
    const credential = route.role === 'admin' ? pipeline.adminToken : pipeline.apiKey;
    const response = await fetch(`${pipeline.urls[fn]}${path}`, {
      method: route.method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${credential}` },
      body: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as ErrorBody).error.code).toBe('invalid_encoding');
    expect(publishedByRequests()).toEqual([]);
  });

  it.each(
    bodyRoutes.map(({ fn, route }) => [`${fn} ${route.method} ${route.path}`, fn, route] as const),
  )(
    '%s refuses an escaped lone surrogate with 400 invalid_encoding naming the field',
    async (_, fn, route) => {
      publisher.reset();
      const path = route.path.replace(/:[A-Za-z]+/g, 'no-such-id');
      const credential = route.role === 'admin' ? pipeline.adminToken : pipeline.apiKey;
      const response = await fetch(`${pipeline.urls[fn]}${path}`, {
        method: route.method,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${credential}` },
        body: '{"payload":{"title":"a\\ud800b"}}',
      });
      expect(response.status).toBe(400);
      const body = (await response.json()) as ErrorBody;
      expect(body.error.code).toBe('invalid_encoding');
      expect(body.error.fields?.[0]?.field).toBe('payload.title');
      expect(publishedByRequests()).toEqual([]);
    },
  );

  it('accepts an escaped surrogate pair and publishes the character it stands for', async () => {
    publisher.reset();
    const response = await post(
      `${pipeline.urls.ingest}/v1/events`,
      '{"eventType":"page.viewed","payload":{"title":"\\ud83d\\ude00"}}',
      { authorization: `Bearer ${pipeline.apiKey}` },
    );
    expect(response.status).toBe(202);
  });
});
