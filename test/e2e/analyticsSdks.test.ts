import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';
import { Analytics as SegmentAnalytics } from '@segment/analytics-node';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey, keyIdOf } from '../../functions/src/ingest/apiKeys.ts';
import { trackingEventId } from '../../functions/src/ingest/tracking/trackingMessageToEvent.ts';
import type { LocalStackInfo } from '../../scripts/lib/localStack.ts';
import { runScript, startNpmStart, stopNpmStart } from '../support/npmStart.ts';
import { eventually, postJson } from '../support/pipeline.ts';
import { TestReceiver } from '../support/receiver.ts';

type EventStatus = {
  eventId: string;
  status: string;
  eventType: string;
  source: string;
  attempts: number;
};
type SiteStats = {
  totalViews: number;
  uniqueUsers: number;
  topPaths: { path: string; views: number }[];
};

/** A loopback proxy in front of ingest that hands the first batch on, then answers 503 as if it failed. */
async function startFlakyProxy(target: string): Promise<{
  url: string;
  /** The messageIds of each request's batch, in the order received. */
  batches: () => string[][];
  close: () => Promise<void>;
}> {
  let requests = 0;
  const batches: string[][] = [];
  const server: Server = createServer((req, res) => {
    void forward(req).then(
      (answer) => {
        requests += 1;
        if (requests === 1) {
          res.writeHead(503, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ success: false, message: 'lost on the way back' }));
          return;
        }
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(answer.body);
      },
      () => {
        res.writeHead(502);
        res.end();
      },
    );
  });
  async function forward(req: IncomingMessage): Promise<{ status: number; body: string }> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const json = req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
    const { batch } = JSON.parse(json.toString('utf8')) as { batch: { messageId: string }[] };
    batches.push(batch.map((message) => message.messageId));
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string' && !['host', 'content-length', 'connection'].includes(name))
        headers[name] = value;
    }
    const response = await fetch(`${target}${req.url ?? '/'}`, {
      method: req.method ?? 'POST',
      headers,
      body,
    });
    return { status: response.status, body: await response.text() };
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    batches: () => batches,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A Segment call as a promise: resolves when delivered, rejects with the delivery error. */
function delivered(send: (callback: (error?: unknown) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => send((error) => (error ? reject(error) : resolve())));
}
/** The analytics SDKs from the registry, pointed at `npm start`'s ingest URL with its API key as write key. */
describe('analytics SDKs against the local stack', () => {
  let stack: ChildProcess;
  let stateDir: string;
  let info: LocalStackInfo;
  let keyId: string;

  beforeAll(async () => {
    const started = await startNpmStart('e2e-sdks');
    stack = started.process;
    stateDir = started.stateDir;
    info = started.info;
    keyId = keyIdOf(hashApiKey(info.apiKey));
  });

  afterAll(async () => {
    await stopNpmStart(stack, stateDir);
  });

  const admin = () => ({ authorization: `Bearer ${info.adminToken}` });

  function segment(options: { host?: string; writeKey?: string } = {}): SegmentAnalytics {
    return new SegmentAnalytics({
      writeKey: options.writeKey ?? info.apiKey,
      host: options.host ?? info.ingestUrl,
      flushAt: 100,
      flushInterval: 200,
      maxRetries: 3,
    });
  }

  type HttpFailure = { response?: { status: number; data: unknown } };

  /** Without an errorHandler the SDK leaves a failed flush as an unhandled rejection. */
  function rudder(options: { host?: string; writeKey?: string; flushAt?: number } = {}): {
    client: RudderAnalytics;
    failures: HttpFailure[];
  } {
    const failures: HttpFailure[] = [];
    const client = new RudderAnalytics(options.writeKey ?? info.apiKey, {
      dataPlaneUrl: options.host ?? info.ingestUrl,
      flushAt: options.flushAt ?? 100,
      flushInterval: 200,
      retryCount: 3,
      logLevel: 'error',
      errorHandler: (error: HttpFailure) => failures.push(error),
    });
    return { client, failures };
  }

  async function statuses(messageIds: string[]): Promise<Map<string, EventStatus>> {
    const found = new Map<string, EventStatus>();
    await eventually(
      async () => {
        const missing = messageIds.filter((id) => found.get(id)?.status !== 'PROCESSED');
        for (let i = 0; i < missing.length; i += 50) {
          await Promise.all(
            missing.slice(i, i + 50).map(async (messageId) => {
              const response = await fetch(
                `${info.apiUrl}/v1/events/${trackingEventId(keyId, messageId)}`,
                {
                  headers: admin(),
                },
              );
              if (response.status === 200)
                found.set(messageId, (await response.json()) as EventStatus);
            }),
          );
        }
        return messageIds.every((id) => found.get(id)?.status === 'PROCESSED') ? true : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500, what: `${messageIds.length} events to be PROCESSED` },
    );
    return found;
  }

  const run = (script: string, args: string[]) => runScript(stateDir, script, args);

  /** Loads the warehouse now, waits for the site's events in it, then reads its statistics for today. */
  async function siteStats(siteId: string, events: number): Promise<SiteStats> {
    expect((await run('job.ts', ['load-warehouse'])).code).toBe(0);
    await eventually(
      async () => {
        const result = await run('sql.ts', [
          `SELECT COUNT(DISTINCT event_id) AS n FROM tributary.events WHERE site_id = '${siteId}'`,
          '--json',
        ]);
        if (result.code !== 0) return undefined;
        const { n } = JSON.parse(result.output.trim().split('\n').pop()!) as { n: string };
        return Number(n) >= events ? true : undefined;
      },
      {
        timeoutMs: 90_000,
        intervalMs: 2000,
        what: `${events} events of ${siteId} in the warehouse`,
      },
    );
    const response = await fetch(`${info.apiUrl}/v1/stats?siteId=${encodeURIComponent(siteId)}`, {
      headers: admin(),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as SiteStats;
  }

  it('Segment: track, page and identify calls become events, PROCESSED, and the page views count in site stats', async () => {
    const analytics = segment();
    const ids = {
      track: randomUUID(),
      page: randomUUID(),
      page2: randomUUID(),
      identify: randomUUID(),
    };
    await Promise.all([
      delivered((done) =>
        analytics.track(
          {
            userId: 'seg-1',
            event: 'Order Completed',
            properties: { total: 42 },
            messageId: ids.track,
          },
          done,
        ),
      ),
      delivered((done) =>
        analytics.page(
          {
            userId: 'seg-1',
            name: 'Pricing',
            properties: { url: 'https://segment.example.com/pricing', path: '/pricing' },
            messageId: ids.page,
          },
          done,
        ),
      ),
      delivered((done) =>
        analytics.page(
          {
            anonymousId: 'anon-seg',
            name: 'Home',
            properties: { url: 'https://segment.example.com/', path: '/' },
            messageId: ids.page2,
          },
          done,
        ),
      ),
      delivered((done) =>
        analytics.identify(
          { userId: 'seg-1', traits: { plan: 'pro' }, messageId: ids.identify },
          done,
        ),
      ),
    ]);
    await analytics.closeAndFlush();
    const found = await statuses(Object.values(ids));
    expect(found.get(ids.track)).toMatchObject({
      eventType: 'track.order_completed',
      source: 'tracking',
      attempts: 1,
    });
    expect(found.get(ids.page)).toMatchObject({ eventType: 'page.viewed' });
    expect(found.get(ids.identify)).toMatchObject({ eventType: 'identify.called' });
    expect(await siteStats('segment.example.com', 2)).toMatchObject({
      totalViews: 2,
      uniqueUsers: 2,
      topPaths: [
        { path: '/', views: 1 },
        { path: '/pricing', views: 1 },
      ],
    });
  });

  it('RudderStack: track, page and identify calls (gzip, its default) become events, PROCESSED, and count in site stats', async () => {
    const { client, failures } = rudder();
    const ids = { track: randomUUID(), page: randomUUID(), identify: randomUUID() };
    const page = {
      userId: 'rs-1',
      name: 'Docs',
      context: { page: { url: 'https://rudder.example.com/docs', path: '/docs' } },
      messageId: ids.page,
    };
    const track = {
      userId: 'rs-1',
      event: 'Signed Up',
      properties: { plan: 'free' },
      messageId: ids.track,
    };
    const identify = {
      userId: 'rs-1',
      traits: { email: 'a@example.com' },
      messageId: ids.identify,
    };
    client.track(track);
    client.page(page);
    client.identify(identify);
    await client.flush();
    expect(failures).toEqual([]);
    const found = await statuses(Object.values(ids));
    expect(found.get(ids.track)).toMatchObject({
      eventType: 'track.signed_up',
      source: 'tracking',
    });
    expect(found.get(ids.page)).toMatchObject({ eventType: 'page.viewed' });
    expect(found.get(ids.identify)).toMatchObject({ eventType: 'identify.called' });
    expect(await siteStats('rudder.example.com', 1)).toMatchObject({
      totalViews: 1,
      uniqueUsers: 1,
      topPaths: [{ path: '/docs', views: 1 }],
    });
  });

  it('Segment: a track call reaches a webhook subscriber, signed, with the message as payload, and counts in the daily metrics', async () => {
    const receiver = await TestReceiver.start();
    try {
      const created = await postJson(
        `${info.apiUrl}/v1/webhook-endpoints`,
        { url: receiver.url('/hook'), eventTypes: ['track.*'] },
        admin(),
      );
      expect(created.status).toBe(201);
      const { secret } = (await created.json()) as { secret: string };
      // A new endpoint reaches processEvent within its endpoint cache lifetime: send until one arrives.
      const analytics = segment();
      const sent: string[] = [];
      const request = await eventually(
        async () => {
          const messageId = randomUUID();
          sent.push(messageId);
          await delivered((done) =>
            analytics.track(
              { userId: 'hook-1', event: 'Plan Upgraded', properties: { plan: 'pro' }, messageId },
              done,
            ),
          );
          return receiver.received('/hook').find((r) => sent.some((id) => r.body.includes(id)));
        },
        { timeoutMs: 40_000, intervalMs: 1000, what: 'the webhook to arrive' },
      );
      await analytics.closeAndFlush();
      const verified = new Webhook(secret).verify(request.body, {
        'webhook-id': String(request.headers['webhook-id']),
        'webhook-timestamp': String(request.headers['webhook-timestamp']),
        'webhook-signature': String(request.headers['webhook-signature']),
      }) as { type: string; data: { payload: Record<string, unknown> } };
      expect(verified.type).toBe('track.plan_upgraded');
      expect(verified.data.payload).toMatchObject({
        type: 'track',
        event: 'Plan Upgraded',
        userId: 'hook-1',
        properties: { plan: 'pro' },
        context: { library: { name: '@segment/analytics-node' } },
      });
      expect(sent).toContain(verified.data.payload.messageId);
      await statuses(sent);
      expect((await run('job.ts', ['load-warehouse'])).code).toBe(0);
      const today = new Date().toISOString().slice(0, 10);
      const counted = await eventually(
        async () => {
          const result = await run('sql.ts', [
            "SELECT COUNT(DISTINCT event_id) AS n FROM tributary.events WHERE event_type = 'track.plan_upgraded'",
            '--json',
          ]);
          const { n } = JSON.parse(result.output.trim().split('\n').pop()!) as { n: string };
          return Number(n) === sent.length ? true : undefined;
        },
        { timeoutMs: 90_000, intervalMs: 2000, what: 'the track events in the warehouse' },
      );
      expect(counted).toBe(true);
      const metrics = await fetch(
        `${info.apiUrl}/v1/metrics?date=${today}&eventType=track.plan_upgraded`,
        {
          headers: admin(),
        },
      );
      expect(await metrics.json()).toEqual({
        count: 1,
        data: [
          { date: today, metrics: [{ eventType: 'track.plan_upgraded', count: sent.length }] },
        ],
      });
    } finally {
      await receiver.close();
    }
  });

  it('Segment: a flush of 300 events lands whole, and the site stats count every page view', async () => {
    const analytics = segment();
    const sent: string[] = [];
    const pages: Promise<void>[] = [];
    for (let i = 0; i < 300; i += 1) {
      const messageId = randomUUID();
      sent.push(messageId);
      const userId = `flush-${i % 7}`;
      pages.push(
        i % 3 === 0
          ? delivered((done) =>
              analytics.track({ userId, event: 'Item Viewed', properties: { i }, messageId }, done),
            )
          : delivered((done) =>
              analytics.page(
                {
                  userId,
                  name: 'Catalogue',
                  properties: { url: `https://flush.example.com/p/${i % 4}`, path: `/p/${i % 4}` },
                  messageId,
                },
                done,
              ),
            ),
      );
    }
    await analytics.closeAndFlush({ timeout: 30_000 });
    await Promise.all(pages);
    await statuses(sent);
    const stats = await siteStats('flush.example.com', 200);
    expect(stats.totalViews).toBe(200);
    expect(stats.uniqueUsers).toBe(7);
    expect(stats.topPaths.reduce((sum, p) => sum + p.views, 0)).toBe(200);
    expect(stats.topPaths.map((p) => p.path).sort()).toEqual(['/p/0', '/p/1', '/p/2', '/p/3']);
  });

  it('RudderStack: a flush of 300 page views with query strings in their URLs lands whole', async () => {
    const { client, failures } = rudder({ flushAt: 300 });
    const sent = Array.from({ length: 300 }, () => randomUUID());
    // The first call is sent at once; the other 299 go in one gzipped batch, with 1,196 `&`.
    sent.forEach((messageId, i) =>
      client.page({
        anonymousId: `anon-${i % 5}`,
        name: 'Search',
        context: {
          page: { url: `https://rudder-flush.example.com/s?q=${i}&a=1&b=2&c=3&d=4`, path: '/s' },
        },
        messageId,
      } as Parameters<RudderAnalytics['page']>[0]),
    );
    await client.flush();
    await client.flush();
    expect(failures).toEqual([]);
    await statuses(sent);
    expect(await siteStats('rudder-flush.example.com', 300)).toMatchObject({
      totalViews: 300,
      uniqueUsers: 5,
      topPaths: [{ path: '/s', views: 300 }],
    });
  });

  it.each(['Segment', 'RudderStack'])(
    '%s: a batch answered 503 after it was taken is sent again by the SDK and lands once',
    async (sdk) => {
      const proxy = await startFlakyProxy(info.ingestUrl);
      const site = `retry-${sdk.toLowerCase()}.example.com`;
      try {
        const sent = Array.from({ length: 10 }, () => randomUUID());
        const page = (messageId: string, i: number) => ({
          userId: `retry-${i % 2}`,
          name: 'Retry',
          properties: { url: `https://${site}/r`, path: '/r' },
          messageId,
        });
        const failures: HttpFailure[] = [];
        if (sdk === 'Segment') {
          const analytics = segment({ host: proxy.url });
          const calls = sent.map((messageId, i) =>
            delivered((done) => analytics.page(page(messageId, i), done)),
          );
          await analytics.closeAndFlush({ timeout: 30_000 });
          await Promise.all(calls);
        } else {
          const rudderClient = rudder({ host: proxy.url });
          const { client } = rudderClient;
          // The first call flushes at once; the rest go in one later batch.
          client.page(page(sent[0]!, 0));
          sent.slice(1).forEach((messageId, i) => client.page(page(messageId, i + 1)));
          await client.flush();
          await client.flush();
          failures.push(...rudderClient.failures);
        }
        expect(failures).toEqual([]);
        // The SDK sent the batch answered 503 again, with the same messageIds.
        const [first, ...later] = proxy.batches();
        expect(first?.length).toBeGreaterThan(0);
        expect(later.some((ids) => first!.every((id) => ids.includes(id)))).toBe(true);
        const found = await statuses(sent);
        for (const status of found.values()) expect(status.attempts).toBe(1);
        const stats = await siteStats(site, sent.length);
        expect(stats).toMatchObject({
          totalViews: 10,
          uniqueUsers: 2,
          topPaths: [{ path: '/r', views: 10 }],
        });
      } finally {
        await proxy.close();
      }
    },
  );

  it('refuses a wrong write key: the SDKs see 401 and take nothing', async () => {
    const analytics = segment({ writeKey: 'trb_not_a_key' });
    const messageId = randomUUID();
    const failure = delivered((done) =>
      analytics.track({ userId: 'x', event: 'Nope', messageId }, done),
    );
    await expect(failure).rejects.toThrow(/401/);
    await analytics.closeAndFlush();

    const rudderClient = rudder({ writeKey: 'trb_not_a_key' });
    rudderClient.client.track({ userId: 'x', event: 'Nope' });
    await rudderClient.client.flush();
    await eventually(async () => (rudderClient.failures.length > 0 ? true : undefined), {
      what: 'the SDK to report the refusal',
    });
    expect(rudderClient.failures[0]?.response).toMatchObject({
      status: 401,
      data: { success: false, error: { code: 'unauthenticated' } },
    });

    const response = await fetch(`${info.apiUrl}/v1/events/${trackingEventId(keyId, messageId)}`, {
      headers: admin(),
    });
    expect(response.status).toBe(404);
  });

  it('refuses an oversized call with the tracking API’s 400 and its error body', async () => {
    const { client, failures } = rudder();
    const oversized = { userId: 'x', event: 'Huge', properties: { blob: 'x'.repeat(40 * 1024) } };
    client.track(oversized);
    await client.flush();
    await eventually(async () => (failures.length > 0 ? true : undefined), {
      what: 'the SDK to report the refusal',
    });
    expect(failures).toHaveLength(1);
    expect(failures[0]?.response).toMatchObject({
      status: 400,
      data: {
        success: false,
        message: expect.stringMatching(/over 32768 bytes/),
        error: { code: 'payload_too_large', fields: [{ field: 'batch.0.(root)' }] },
      },
    });

    // What it was answered, as the SDK sent it and as a single call.
    const headers = {
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from(`${info.apiKey}:`).toString('base64')}`,
    };
    const batch = await fetch(`${info.ingestUrl}/v1/batch`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ batch: [{ ...oversized, type: 'track' }] }),
    });
    expect(batch.status).toBe(400);
    expect(await batch.json()).toMatchObject({
      success: false,
      error: { code: 'payload_too_large' },
    });
    const single = await fetch(`${info.ingestUrl}/v1/track`, {
      method: 'POST',
      headers,
      body: JSON.stringify(oversized),
    });
    expect(single.status).toBe(400);
    expect(await single.json()).toMatchObject({
      success: false,
      message: expect.stringMatching(/at most 32768 bytes/),
      error: { code: 'payload_too_large' },
    });
  });
});
