import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsTable, type TableSpec } from '../../../infra/spec.ts';
import { DuckDbWarehouse } from './duckDbWarehouse.ts';
import { WarehouseUnavailableError, type WarehouseRow } from './warehouse.ts';

function row(overrides: Partial<WarehouseRow> = {}): WarehouseRow {
  return {
    event_id: randomUUID(),
    event_type: 'page.viewed',
    source: 'api',
    producer: 'key_1',
    site_id: 'shop',
    user_id: 'u-1',
    path: '/',
    occurred_at: new Date('2026-01-02T03:00:00.000Z'),
    received_at: new Date('2026-01-02T03:00:01.000Z'),
    processed_at: new Date('2026-01-02T03:00:02.000Z'),
    payload: '{"title":"Home"}',
    metadata: null,
    ...overrides,
  };
}

describe('the DuckDB warehouse', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tributary-duckdb-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function warehouse(file: string, options: { lockTimeoutMs?: number; table?: TableSpec } = {}) {
    return new DuckDbWarehouse({
      path: join(dir, file),
      table: options.table ?? eventsTable,
      lockTimeoutMs: options.lockTimeoutMs ?? 10_000,
      idleCloseMs: 10,
    });
  }

  it('creates the file and table on first use and stores rows as written', async () => {
    const store = warehouse('nested/first.duckdb');
    const written = row({ metadata: '{"batch":1}', user_id: null });
    expect(await store.write([written])).toEqual({ rejected: [] });
    const [stored] = await store.query(
      `SELECT event_id, user_id, strftime(occurred_at, '%Y-%m-%dT%H:%M:%S') AS occurred,
              payload->>'title' AS title, metadata FROM tributary.events`,
      {},
    );
    expect(stored).toEqual({
      event_id: written.event_id,
      user_id: null,
      occurred: '2026-01-02T03:00:00',
      title: 'Home',
      metadata: '{"batch":1}',
    });
  });

  it('keeps a redelivered row twice, and counting distinct event ids counts it once', async () => {
    const store = warehouse('dupes.duckdb');
    const once = row();
    await store.write([once, row()]);
    await store.write([once]);
    const [counts] = await store.query(
      'SELECT COUNT(*) AS rows, COUNT(DISTINCT event_id) AS events FROM tributary.events',
      {},
    );
    expect(counts).toEqual({ rows: '3', events: '2' });
  });

  it('refuses a bad row on its own and writes the others', async () => {
    const store = warehouse('bad.duckdb');
    const result = await store.write([row(), row({ payload: '{oops' }), row()]);
    expect(result.rejected).toEqual([{ index: 1, reason: 'payload: is not valid JSON' }]);
    const [count] = await store.query('SELECT COUNT(*) AS n FROM tributary.events', {});
    expect(count).toEqual({ n: '2' });
  });

  it('adds the columns the spec gained to an existing table', async () => {
    const older: TableSpec = {
      ...eventsTable,
      columns: eventsTable.columns.filter((c) => c.name !== 'metadata'),
    };
    const { metadata: _dropped, ...oldRow } = row();
    await warehouse('evolve.duckdb', { table: older }).write([oldRow as WarehouseRow]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const current = warehouse('evolve.duckdb');
    await current.write([row({ metadata: '{"v":2}' })]);
    const rows = await current.query(
      'SELECT metadata FROM tributary.events ORDER BY metadata NULLS FIRST',
      {},
    );
    expect(rows).toEqual([{ metadata: null }, { metadata: '{"v":2}' }]);
  });

  /** Resolves once the child holds the file, with a promise of its release. */
  async function holdFile(file: string, holdMs: number): Promise<{ released: Promise<void> }> {
    const child = spawn(
      process.execPath,
      [
        '-e',
        `const { DuckDBInstance } = require('@duckdb/node-api');
         DuckDBInstance.create(${JSON.stringify(join(dir, file))}).then((db) => {
           console.log('holding');
           setTimeout(() => { db.closeSync(); process.exit(0); }, ${holdMs});
         });`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const released = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    return { released };
  }

  describe('while another process holds the file', () => {
    it('waits for the file and then writes', async () => {
      const store = warehouse('shared.duckdb');
      await store.write([row()]);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const holder = await holdFile('shared.duckdb', 1500);
      let done = false;
      const writing = store.write([row()]).then(() => (done = true));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(done).toBe(false);
      await holder.released;
      await writing;
      const [count] = await store.query('SELECT COUNT(*) AS n FROM tributary.events', {});
      expect(count).toEqual({ n: '2' });
    });

    it('gives up with a retriable error once its lock timeout has passed', async () => {
      const store = warehouse('busy.duckdb', { lockTimeoutMs: 200 });
      await store.write([row()]);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const holder = await holdFile('busy.duckdb', 1500);
      const error = await store.write([row()]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WarehouseUnavailableError);
      expect((error as WarehouseUnavailableError).retriable).toBe(true);
      expect((error as Error).message).toMatch(/lock/i);
      await holder.released;
    });
  });
});
