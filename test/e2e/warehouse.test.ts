import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStackInfo } from '../../scripts/lib/localStack.ts';
import { runScript, startNpmStart, stopNpmStart } from '../support/npmStart.ts';
import { eventually, postJson } from '../support/pipeline.ts';

/**
 * The warehouse on `npm start`: the stack's scheduler starts the loader, which writes
 * the DuckDB file while `npm run sql` reads it from another process; `npm run job`
 * runs a schedule on demand; the API answers metrics from the same file.
 */
describe('the local warehouse, end to end', () => {
  let stack: ChildProcess;
  let stateDir: string;
  let info: LocalStackInfo;
  const today = new Date().toISOString().slice(0, 10);

  beforeAll(async () => {
    const started = await startNpmStart('e2e-warehouse');
    stack = started.process;
    stateDir = started.stateDir;
    info = started.info;
  });

  afterAll(async () => {
    await stopNpmStart(stack, stateDir);
  });

  const run = (script: string, args: string[]) => runScript(stateDir, script, args);

  async function distinctEvents(): Promise<number | undefined> {
    const result = await run('sql.ts', [
      'SELECT COUNT(DISTINCT event_id) AS n FROM tributary.events',
      '--json',
    ]);
    if (result.code !== 0) return undefined;
    return Number((JSON.parse(result.output.trim().split('\n').pop()!) as { n: string }).n);
  }

  async function send(count: number, type: string): Promise<void> {
    const events = Array.from({ length: count }, (_, i) => ({
      eventType: type,
      payload: { i },
      siteId: 'e2e-site',
      userId: `u-${i % 3}`,
      path: i % 2 ? '/a' : '/b',
    }));
    const response = await postJson(
      `${info.ingestUrl}/v1/events/batch`,
      { events },
      { authorization: `Bearer ${info.apiKey}` },
    );
    expect(response.status).toBe(202);
  }

  it('loads events on the scheduler’s minute, and npm run sql reads them while the stack runs', async () => {
    await send(30, 'page.viewed');
    const loaded = await eventually(
      async () => ((await distinctEvents()) === 30 ? true : undefined),
      { timeoutMs: 100_000, intervalMs: 2000, what: 'the scheduled load' },
    );
    expect(loaded).toBe(true);
    const table = await run('sql.ts', [
      'SELECT path, COUNT(DISTINCT event_id) AS views FROM tributary.events GROUP BY path ORDER BY path',
    ]);
    expect(table.code).toBe(0);
    expect(table.output).toMatch(/path\s+│ views/);
    expect(table.output).toMatch(/\/a\s+│ 15/);
    expect(table.output).toContain('(2 rows)');
  }, 120_000);

  it('runs a schedule on demand with npm run job, and the API counts from the warehouse', async () => {
    await send(10, 'signup.completed');
    const job = await run('job.ts', ['load-warehouse']);
    expect(job.code).toBe(0);
    expect(job.output).toContain('load-warehouse: published {"runs":1} to warehouse-load');
    await eventually(async () => ((await distinctEvents()) === 40 ? true : undefined), {
      timeoutMs: 30_000,
      intervalMs: 1000,
      what: 'the load on demand',
    });
    const headers = { authorization: `Bearer ${info.adminToken}` };
    const metrics = await fetch(`${info.apiUrl}/v1/metrics?date=${today}`, { headers });
    expect(await metrics.json()).toEqual({
      count: 1,
      data: [
        {
          date: today,
          metrics: [
            { eventType: 'page.viewed', count: 30 },
            { eventType: 'signup.completed', count: 10 },
          ],
        },
      ],
    });
    const stats = await fetch(`${info.apiUrl}/v1/stats?siteId=e2e-site`, { headers });
    expect(await stats.json()).toEqual({
      siteId: 'e2e-site',
      date: today,
      totalViews: 30,
      uniqueUsers: 3,
      topPaths: [
        { path: '/a', views: 15 },
        { path: '/b', views: 15 },
      ],
    });
  }, 60_000);

  it('keeps a formula cell of a CSV upload as text, and neutralises it in a CSV export', async () => {
    const formula = '=HYPERLINK("http://x","y")';
    const form = new FormData();
    const csv = `eventType,userId,siteId\r\nsheet.imported,"${formula.replaceAll('"', '""')}",sheet-site\r\n`;
    form.append('file', new Blob([csv], { type: 'text/csv' }), 'sheet.csv');
    const uploaded = await fetch(`${info.apiUrl}/v1/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${info.apiKey}` },
      body: form,
    });
    expect(await uploaded.json()).toMatchObject({ insertedCount: 1, failedCount: 0 });
    expect((await run('job.ts', ['load-warehouse'])).code).toBe(0);
    const query = "SELECT user_id, site_id FROM tributary.events WHERE site_id = 'sheet-site'";
    const stored = await eventually(
      async () => {
        const result = await run('sql.ts', [query, '--json']);
        return result.code === 0 && result.output.includes('sheet-site') ? result : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 1000, what: 'the uploaded row in the warehouse' },
    );
    expect(JSON.parse(stored.output.trim().split('\n').pop()!)).toEqual({
      user_id: formula,
      site_id: 'sheet-site',
    });
    const exported = await run('sql.ts', [query, '--csv']);
    expect(exported.output.trim().split('\n')).toEqual([
      'user_id,site_id',
      `"'=HYPERLINK(""http://x"",""y"")",sheet-site`,
    ]);
  }, 60_000);

  it('refuses a bad job and bad SQL with a message', async () => {
    const job = await run('job.ts', ['no-such-job']);
    expect(job.code).toBe(2);
    expect(job.output).toContain('load-warehouse|recompute-metrics');
    const sql = await run('sql.ts', ['SELEC nonsense']);
    expect(sql.code).toBe(1);
    expect(sql.output).toMatch(/syntax error/i);
  });
});
