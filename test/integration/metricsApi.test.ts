import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPipeline, type TestPipeline } from '../support/pipeline.ts';

/** The metrics and stats endpoints: access, and a 400 naming every bad parameter. */
describe('GET /v1/metrics and /v1/stats', () => {
  let pipeline: TestPipeline;
  beforeAll(async () => {
    pipeline = await startTestPipeline({ label: 'metricsapi' });
  });
  afterAll(async () => {
    await pipeline.close();
  });

  function get(path: string, token: string | null = pipeline.adminToken): Promise<Response> {
    return fetch(`${pipeline.urls.api}${path}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
  }

  it.each([
    ['/v1/metrics?date=2026-02-30', 'date'],
    ['/v1/metrics?date=yesterday', 'date'],
    ['/v1/metrics?date=', 'date'],
    ['/v1/metrics?date=2026-01-01&date=2026-01-02', 'date'],
    ['/v1/metrics?date=2026-01-01&from=2026-01-01&to=2026-01-02', 'date'],
    ['/v1/metrics?from=2026-01-01', 'to'],
    ['/v1/metrics?to=2026-01-01', 'from'],
    ['/v1/metrics?from=2026-1-1&to=2026-01-02', 'from'],
    ['/v1/metrics?from=2026-01-01&to=2026-01-32', 'to'],
    ['/v1/metrics?from=2026-01-05&to=2026-01-01', 'to'],
    ['/v1/metrics?from=2025-01-01&to=2026-01-02', 'to'],
    ['/v1/metrics?eventType=Page%20Viewed', 'eventType'],
    ['/v1/metrics?evenType=page.viewed', 'evenType'],
    ['/v1/stats', 'siteId'],
    ['/v1/stats?siteId=', 'siteId'],
    [`/v1/stats?siteId=${'x'.repeat(201)}`, 'siteId'],
    ['/v1/stats?siteId=shop&date=2026-13-01', 'date'],
    ['/v1/stats?siteId=shop&from=2026-01-01', 'to'],
    ['/v1/stats?siteId=shop&to=2026-01-01', 'from'],
    ['/v1/stats?siteId=shop&date=2026-01-01&from=2026-01-01&to=2026-01-02', 'date'],
    ['/v1/stats?siteId=shop&from=2025-01-01&to=2026-01-02', 'to'],
    ['/v1/stats?from=2026-01-01&to=2026-01-02', 'siteId'],
    ['/v1/stats?siteId=shop&form=2026-01-01', 'form'],
    ['/v1/sites?from=2026-01-01', 'to'],
    ['/v1/sites?siteId=shop', 'siteId'],
    ['/v1/sites?date=2026-02-30', 'date'],
    ['/v1/sites?from=2026-01-05&to=2026-01-01', 'to'],
  ])('%s → 400 naming %s', async (path, field) => {
    const response = await get(path);
    expect(response.status).toBe(400);
    const body = (await response.json()) as {
      error: { code: string; message: string; fields: { field: string; message: string }[] };
    };
    expect(body.error.code).toBe('invalid_query');
    expect(body.error.fields.map((f) => f.field)).toEqual([field]);
    expect(body.error.message).toContain(field);
    expect(JSON.stringify(body)).not.toMatch(/at .*\.ts/);
  });

  it.each(['/v1/metrics', '/v1/stats?siteId=shop', '/v1/sites'])(
    '%s needs the admin token',
    async (path) => {
      expect((await get(path, null)).status).toBe(401);
      expect((await get(path, 'not-the-admin-token-at-all-no')).status).toBe(401);
    },
  );

  it('answers every day of a range, empty ones included, from an empty warehouse', async () => {
    const response = await get('/v1/metrics?from=2026-01-30&to=2026-02-01&eventType=page.viewed');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      count: 3,
      data: ['2026-01-30', '2026-01-31', '2026-02-01'].map((date) => ({
        date,
        metrics: [{ eventType: 'page.viewed', count: 0 }],
      })),
    });
  });

  it('answers a site without views with zeros, for today by default', async () => {
    const response = await get('/v1/stats?siteId=nowhere');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      siteId: 'nowhere',
      date: new Date().toISOString().slice(0, 10),
      totalViews: 0,
      uniqueUsers: 0,
      topPaths: [],
    });
  });

  it('answers a site over a range with each day and the totals, zeros from an empty warehouse', async () => {
    const response = await get('/v1/stats?siteId=nowhere&from=2026-01-30&to=2026-02-01');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      siteId: 'nowhere',
      from: '2026-01-30',
      to: '2026-02-01',
      totalViews: 0,
      uniqueUsers: 0,
      topPaths: [],
      days: ['2026-01-30', '2026-01-31', '2026-02-01'].map((date) => ({
        date,
        totalViews: 0,
        uniqueUsers: 0,
      })),
    });
  });

  it('lists no site from an empty warehouse, over the last 30 days by default', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const from = new Date(Date.now() - 29 * 86_400_000).toISOString().slice(0, 10);
    const response = await get('/v1/sites');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      from,
      to: today,
      count: 0,
      truncated: false,
      sites: [],
    });
  });

  it('answers 405 for another method', async () => {
    const response = await fetch(`${pipeline.urls.api}/v1/metrics`, {
      method: 'POST',
      headers: { authorization: `Bearer ${pipeline.adminToken}` },
    });
    expect(response.status).toBe(405);
  });
});
