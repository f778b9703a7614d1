/**
 * A running stack filled with what the console shows: two weeks of page views on three
 * sites and other events, webhook endpoints with deliveries and failures, a Workspace
 * source, API keys, a CSV upload with failed rows and a dead-lettered message. Everything
 * goes through the public APIs (and Pub/Sub for the poison message), as users would send it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { topics } from '../../infra/spec.ts';
import { createPubSub } from '../../functions/src/lib/clients.ts';
import { loadConfig } from '../../functions/src/lib/config.ts';
import { sleep } from './emulators.ts';
import type { LocalStackInfo } from './localStack.ts';

export type ConsoleSeed = {
  sites: string[];
  events: number;
  endpoints: { orders: string; signups: string };
  sourceId: string;
  batchId: string;
};

/** Receivers for the seeded endpoints: `/orders` mostly succeeds, `/signups` refuses. */
export async function startSeedReceiver(): Promise<{ url: string; close: () => Promise<void> }> {
  let orders = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/orders') {
        orders += 1;
        res.statusCode = orders % 4 === 0 ? 503 : 200;
      } else res.statusCode = 400;
      res.end(res.statusCode === 200 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A repeatable stream of numbers in [0, 1). */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const sites = [
  { siteId: 'shop', views: 60, paths: ['/', '/pricing', '/cart', '/checkout', '/product/42'] },
  { siteId: 'blog', views: 30, paths: ['/', '/posts/launch', '/posts/scaling', '/about'] },
  { siteId: 'docs', views: 15, paths: ['/', '/start', '/api', '/faq'] },
];
/** Other event types and how many a day (signups stay under an endpoint's failure limit). */
const others = {
  'signup.completed': 2,
  'order.placed': 5,
  'button.clicked': 5,
  'search.performed': 4,
};

export async function seedConsole(
  info: LocalStackInfo,
  options: { days: number; receiverUrl: string; endpointCacheSeconds: number },
): Promise<ConsoleSeed> {
  const admin = client(info.apiUrl, info.adminToken);
  const orders = await admin.post('/v1/webhook-endpoints', {
    url: `${options.receiverUrl}/orders`,
    eventTypes: ['order.*'],
    description: 'Order system',
  });
  const signups = await admin.post('/v1/webhook-endpoints', {
    url: `${options.receiverUrl}/signups`,
    eventTypes: ['signup.*'],
    description: 'CRM (refuses everything)',
  });
  // processEvent reads the endpoint list through a short cache.
  await sleep(options.endpointCacheSeconds * 1000 + 500);

  const random = seeded(7);
  const now = Date.now();
  const events: Record<string, unknown>[] = [];
  for (let back = options.days - 1; back >= 0; back -= 1) {
    const dayStart = Date.UTC(
      new Date(now).getUTCFullYear(),
      new Date(now).getUTCMonth(),
      new Date(now).getUTCDate() - back,
    );
    const end = Math.min(dayStart + 86_400_000 - 1, now);
    const at = () => new Date(dayStart + Math.floor(random() * (end - dayStart))).toISOString();
    // Weekly rhythm and growth, so the charts have a shape.
    const scale =
      (0.6 + 0.4 * Math.sin(((options.days - back) / 7) * Math.PI)) *
      (1 + (options.days - back) / 20);
    for (const site of sites) {
      const views = Math.round(site.views * scale * (0.8 + random() * 0.4));
      for (let i = 0; i < views; i += 1) {
        events.push({
          eventType: 'page.viewed',
          payload: { title: site.paths[i % site.paths.length] },
          siteId: site.siteId,
          userId: `u-${Math.floor(random() * 40 * scale)}`,
          path: site.paths[Math.floor(random() * random() * site.paths.length)],
          occurredAt: at(),
        });
      }
    }
    for (const [eventType, perDay] of Object.entries(others)) {
      const count = Math.round(perDay * scale * (0.5 + random()));
      for (let i = 0; i < count; i += 1) {
        events.push({
          eventType,
          payload: { n: i },
          siteId: 'shop',
          userId: `u-${i}`,
          occurredAt: at(),
        });
      }
    }
  }
  const producer = client(info.ingestUrl, info.apiKey);
  for (let start = 0; start < events.length; start += 500) {
    await producer.post('/v1/events/batch', { events: events.slice(start, start + 500) });
  }

  const source = await admin.post('/v1/sources', {
    sourceType: 'google_workspace',
    name: 'example.com tenant',
    credentials: {
      type: 'oauth',
      clientId: 'client-id',
      clientSecret: 'client-secret',
      refreshToken: 'refresh-token',
    },
    applications: ['admin', 'login', 'drive'],
  });
  await admin.post('/v1/admin/api-keys', { name: 'checkout-service', rateLimitPerSecond: 100 });
  const old = await admin.post('/v1/admin/api-keys', { name: 'old-importer' });
  await admin.post(`/v1/admin/api-keys/${String(old.keyId)}/revoke`, {});

  const keys = (await admin.get('/v1/admin/api-keys')) as {
    items: { keyId: string; name: string }[];
  };
  const local = keys.items.find((key) => key.name === 'local') ?? keys.items[0]!;
  const batch = await admin.upload(
    `/v1/admin/uploads?keyId=${local.keyId}`,
    'scores.csv',
    [
      'event_id,Event Type,timestamp,user_id,score',
      'r-1,test_started,2026-01-05T10:00:00Z,u-1,',
      'r-2,test_completed,2026-01-05T10:20:00Z,u-1,87',
      'r-3,Test Completed,2026-01-05T10:21:00Z,u-2,91',
      'r-4,test_started,yesterday,u-3,',
      'r-5,test_completed,2026-01-05T11:02:00Z,u-3,=1+1',
    ].join('\r\n'),
  );

  // A message that is not an event: dead-lettered at once, listed on the overview.
  const pubsub = createPubSub(
    loadConfig({
      GOOGLE_CLOUD_PROJECT: info.projectId,
      PUBSUB_EMULATOR_HOST: info.pubsubEmulatorHost,
    }),
  );
  try {
    await pubsub
      .topic(topics.events.name)
      .publishMessage({ data: Buffer.from('{"not":"an event"') });
    await waitForWarehouse(info, admin, events.length, pubsub);
  } finally {
    await pubsub.close();
  }
  return {
    sites: sites.map((site) => site.siteId),
    events: events.length,
    endpoints: { orders: String(orders.id), signups: String(signups.id) },
    sourceId: String(source.id),
    batchId: String(batch.batchId),
  };
}

/** Runs the loader until the warehouse holds every seeded event (the metrics count them). */
async function waitForWarehouse(
  info: LocalStackInfo,
  admin: ReturnType<typeof client>,
  expected: number,
  pubsub: ReturnType<typeof createPubSub>,
): Promise<void> {
  const today = new Date().toISOString().slice(0, 10);
  const from = new Date(Date.now() - 365 * 86_400_000).toISOString().slice(0, 10);
  for (let attempt = 0; attempt < 60; attempt += 1) {
    await pubsub.topic(topics.warehouseLoad.name).publishMessage({ json: { runs: 1 } });
    await sleep(2000);
    const metrics = (await admin.get(`/v1/metrics?from=${from}&to=${today}`)) as {
      data: { metrics: { eventType: string; count: number }[] }[];
    };
    const loaded = metrics.data
      .flatMap((day) => day.metrics)
      .filter((metric) => !metric.eventType.startsWith('test_'))
      .reduce((sum, metric) => sum + metric.count, 0);
    if (loaded >= expected) return;
  }
  throw new Error(
    `the warehouse did not receive the ${expected} seeded events of ${info.projectId}`,
  );
}

function client(base: string, token: string) {
  const call = async (
    method: string,
    path: string,
    body?: unknown,
  ): Promise<Record<string, unknown>> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };
  return {
    get: (path: string) => call('GET', path),
    post: (path: string, body: unknown) => call('POST', path, body),
    upload: async (path: string, name: string, csv: string) => {
      const form = new FormData();
      form.append('file', new Blob([csv], { type: 'text/csv' }), name);
      const response = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: form,
      });
      if (!response.ok) throw new Error(`upload: ${response.status} ${await response.text()}`);
      return (await response.json()) as Record<string, unknown>;
    },
  };
}
