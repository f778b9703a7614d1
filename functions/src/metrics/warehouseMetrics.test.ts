import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsTable } from '../../../infra/spec.ts';
import { DuckDbWarehouse } from '../warehouse/duckDbWarehouse.ts';
import type { QueryParams, SqlDialect, Warehouse, WarehouseRow } from '../warehouse/warehouse.ts';
import { WarehouseMetrics } from './warehouseMetrics.ts';

function view(
  at: string,
  siteId: string | null,
  userId: string | null,
  path: string | null,
  type = 'page.viewed',
): WarehouseRow {
  return {
    event_id: randomUUID(),
    event_type: type,
    source: 'api',
    producer: 'key_1',
    site_id: siteId,
    user_id: userId,
    path,
    occurred_at: new Date(at),
    received_at: new Date('2026-03-10T08:00:00Z'),
    processed_at: new Date('2026-03-10T08:00:01Z'),
    payload: '{}',
    metadata: null,
  };
}

describe('the metrics SQL, run by DuckDB', () => {
  let dir: string;
  let metrics: WarehouseMetrics;
  let firstId: string;
  const withBodyId = randomUUID();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tributary-metrics-'));
    const warehouse = new DuckDbWarehouse({
      path: join(dir, 'w.duckdb'),
      table: eventsTable,
      lockTimeoutMs: 5000,
    });
    const first = view('2026-03-08T10:00:00Z', 'shop', 'u1', '/');
    await warehouse.write([
      first,
      view('2026-03-08T23:59:59.999Z', 'shop', 'u2', '/'),
      view('2026-03-08T12:00:00Z', 'shop', 'u1', '/pricing'),
      view('2026-03-08T13:00:00Z', 'shop', null, '/docs'),
      view('2026-03-08T14:00:00Z', 'shop', 'u2', null),
      view('2026-03-08T10:00:00Z', 'blog', 'u1', '/'),
      view('2026-03-08T10:00:00Z', 'shop', 'u1', null, 'signup.completed'),
      view('2026-03-08T10:00:00Z', null, 'u9', '/'),
      view('2026-03-09T00:00:00.000Z', 'shop', 'u3', '/'),
      view('2026-03-07T23:59:59.999Z', 'shop', 'u3', '/'),
      view('2026-03-10T09:00:00Z', 'legacy', 'u1', '/', 'page_view'),
      view('2026-03-10T09:00:00Z', 'legacy', 'u2', '/pricing', 'page_view'),
    ]);
    // A redelivery stored the first view again.
    await warehouse.write([first]);
    firstId = first.event_id;
    await warehouse.write([
      {
        ...view('2026-02-01T08:00:00Z', null, null, null, 'order.placed'),
        event_id: withBodyId,
        payload: '{"title":"Home","n":1}',
        metadata: '{"source":"web"}',
      },
    ]);
    metrics = new WarehouseMetrics(warehouse, { topPaths: 2 });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('counts distinct events per UTC day and type', async () => {
    expect(await metrics.dailyCounts({ from: '2026-03-08', to: '2026-03-09' })).toEqual([
      { date: '2026-03-08', eventType: 'page.viewed', count: 7 },
      { date: '2026-03-08', eventType: 'signup.completed', count: 1 },
      { date: '2026-03-09', eventType: 'page.viewed', count: 1 },
    ]);
  });

  it('computes views, unique users and top paths per site and day', async () => {
    expect(await metrics.siteStats({ from: '2026-03-08', to: '2026-03-08' })).toEqual([
      {
        siteId: 'blog',
        date: '2026-03-08',
        totalViews: 1,
        uniqueUsers: 1,
        topPaths: [{ path: '/', views: 1 }],
      },
      {
        siteId: 'shop',
        date: '2026-03-08',
        totalViews: 5,
        uniqueUsers: 2,
        topPaths: [
          { path: '/', views: 2 },
          { path: '/docs', views: 1 },
        ],
      },
    ]);
  });

  it('computes one site when asked', async () => {
    expect(await metrics.siteStats({ from: '2026-03-09', to: '2026-03-09' }, 'shop')).toEqual([
      {
        siteId: 'shop',
        date: '2026-03-09',
        totalViews: 1,
        uniqueUsers: 1,
        topPaths: [{ path: '/', views: 1 }],
      },
    ]);
    expect(await metrics.siteStats({ from: '2026-03-09', to: '2026-03-09' }, 'blog')).toEqual([]);
  });

  it('counts page_view, the website analytics backend’s type, as a view', async () => {
    expect(await metrics.siteStats({ from: '2026-03-10', to: '2026-03-10' }, 'legacy')).toEqual([
      {
        siteId: 'legacy',
        date: '2026-03-10',
        totalViews: 2,
        uniqueUsers: 2,
        topPaths: [
          { path: '/pricing', views: 1 },
          { path: '/', views: 1 },
        ].sort((a, b) => a.path.localeCompare(b.path)),
      },
    ]);
  });

  it('finds one event’s body, within its day or over every day', async () => {
    const body = { payload: { title: 'Home', n: 1 }, metadata: { source: 'web' } };
    expect(await metrics.eventBody(withBodyId, '2026-02-01')).toEqual(body);
    expect(await metrics.eventBody(withBodyId, null)).toEqual(body);
    expect(await metrics.eventBody(withBodyId, '2026-02-02')).toBeUndefined();
    // Stored twice by a redelivery: one answer.
    expect(await metrics.eventBody(firstId, '2026-03-08')).toEqual({ payload: {}, metadata: null });
    expect(await metrics.eventBody(randomUUID(), null)).toBeUndefined();
  });

  it('totals one site over a range, unique users across the whole span', async () => {
    expect(await metrics.siteTotals('shop', { from: '2026-03-07', to: '2026-03-09' })).toEqual({
      siteId: 'shop',
      from: '2026-03-07',
      to: '2026-03-09',
      totalViews: 7,
      uniqueUsers: 3,
      topPaths: [
        { path: '/', views: 4 },
        { path: '/docs', views: 1 },
      ],
    });
  });

  it('lists the sites of a range, most viewed first, each with its events and last day', async () => {
    expect(await metrics.sitesSeen({ from: '2026-03-07', to: '2026-03-09' }, 10)).toEqual([
      { siteId: 'shop', events: 8, views: 7, lastSeen: '2026-03-09' },
      { siteId: 'blog', events: 1, views: 1, lastSeen: '2026-03-08' },
    ]);
    expect(await metrics.sitesSeen({ from: '2026-03-10', to: '2026-03-10' }, 10)).toEqual([
      { siteId: 'legacy', events: 2, views: 2, lastSeen: '2026-03-10' },
    ]);
    expect(await metrics.sitesSeen({ from: '2026-03-07', to: '2026-03-09' }, 1)).toHaveLength(1);
  });

  it('totals one site over every day without a range, and zeros for a site never seen', async () => {
    expect(await metrics.siteTotals('legacy', undefined)).toMatchObject({
      from: null,
      to: null,
      totalViews: 2,
      uniqueUsers: 2,
    });
    expect(await metrics.siteTotals('nowhere', undefined)).toEqual({
      siteId: 'nowhere',
      from: null,
      to: null,
      totalViews: 0,
      uniqueUsers: 0,
      topPaths: [],
    });
  });
});

/** Records what would be sent, for the dialect we cannot run here. */
class RecordingWarehouse implements Warehouse {
  readonly dialect: SqlDialect;
  readonly calls: { sql: string; params: QueryParams }[] = [];
  constructor(dialect: SqlDialect) {
    this.dialect = dialect;
  }
  write(): Promise<{ rejected: [] }> {
    return Promise.resolve({ rejected: [] });
  }
  query(sql: string, params: QueryParams): Promise<Record<string, unknown>[]> {
    this.calls.push({ sql, params });
    return Promise.resolve([]);
  }
  eraseSubjects(): Promise<{ removed: number; searched: string }> {
    return Promise.resolve({ removed: 0, searched: '' });
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

describe.each([
  ['bigquery', /@(\w+)/g, '`tributary.events`'],
  ['duckdb', /\$(\w+)/g, '"tributary"."events"'],
] as const)('the %s queries', (dialect, placeholder, table) => {
  it('use exactly the parameters they are given, on the spec’s table', async () => {
    const warehouse = new RecordingWarehouse(dialect);
    const metrics = new WarehouseMetrics(warehouse, { topPaths: 10 });
    await metrics.dailyCounts({ from: '2026-03-01', to: '2026-03-02' });
    await metrics.siteStats({ from: '2026-03-01', to: '2026-03-02' });
    await metrics.siteStats({ from: '2026-03-01', to: '2026-03-02' }, 'shop');
    await metrics.siteTotals('shop', { from: '2026-03-01', to: '2026-03-02' });
    await metrics.siteTotals('shop', undefined);
    await metrics.eventBody('e-1', '2026-03-01');
    await metrics.eventBody('e-1', null);
    for (const { sql, params } of warehouse.calls) {
      const used = new Set([...sql.matchAll(placeholder)].map((m) => m[1]));
      expect([...used].sort((a, b) => a!.localeCompare(b!))).toEqual(
        Object.keys(params).sort((a, b) => a.localeCompare(b)),
      );
      expect(sql).toContain(`FROM ${table}`);
      // Every count is of distinct events; the body lookup reads one row.
      expect(sql).toMatch(/COUNT\(DISTINCT event_id\)|LIMIT 1$/);
    }
  });
});
