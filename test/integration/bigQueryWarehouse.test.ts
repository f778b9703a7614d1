import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventsTable } from '../../infra/spec.ts';
import { BigQueryWarehouse } from '../../functions/src/warehouse/bigQueryWarehouse.ts';
import {
  WarehouseUnavailableError,
  type WarehouseRow,
} from '../../functions/src/warehouse/warehouse.ts';
import { BigQueryWriteServer } from '../support/bigQueryWriteServer.ts';

function row(overrides: Partial<WarehouseRow> = {}): WarehouseRow {
  return {
    event_id: randomUUID(),
    event_type: 'page.viewed',
    source: 'api',
    producer: 'key_1',
    site_id: 'shop',
    user_id: 'u-1',
    path: '/pricing',
    occurred_at: new Date('2026-01-02T03:04:05.678Z'),
    received_at: new Date('2026-01-02T03:04:06.000Z'),
    processed_at: new Date('2026-01-02T03:04:07.000Z'),
    payload: '{"title":"Pricing","n":1}',
    metadata: '{"batch":"b-1"}',
    ...overrides,
  };
}

describe('the BigQuery warehouse, against a local Storage Write API endpoint', () => {
  let server: BigQueryWriteServer;
  const warehouses: BigQueryWarehouse[] = [];

  beforeAll(async () => {
    process.env.METADATA_SERVER_DETECTION = 'none';
    server = await BigQueryWriteServer.start();
  });
  afterEach(async () => {
    await Promise.all(warehouses.splice(0).map((w) => w.close()));
    server.appends.length = 0;
    server.refuse.clear();
  });
  afterAll(() => {
    server.close();
  });

  function warehouse(options: { maxRequestBytes?: number; appendTimeoutMs?: number } = {}) {
    const created = new BigQueryWarehouse({
      projectId: 'analytics-project',
      table: eventsTable,
      writerOptions: server.writerOptions(),
      ...options,
    });
    warehouses.push(created);
    return created;
  }

  it('sends the spec’s schema and each row as BigQuery stores it, to the table’s default stream', async () => {
    const full = row();
    const sparse = row({ site_id: null, user_id: null, path: null, metadata: null, payload: '{}' });
    expect(await warehouse().write([full, sparse])).toEqual({ rejected: [] });

    expect(server.appends).toHaveLength(1);
    const [append] = server.appends;
    expect(append!.writeStream).toBe(
      'projects/analytics-project/datasets/tributary/tables/events/streams/_default',
    );
    expect(append!.schema.fields).toEqual(
      eventsTable.columns.map((column, index) => ({
        name: column.name,
        number: index + 1,
        label: column.mode === 'REQUIRED' ? 'LABEL_REQUIRED' : 'LABEL_OPTIONAL',
        // TIMESTAMP travels as microseconds since the epoch, JSON as text.
        type: column.type === 'TIMESTAMP' ? 'TYPE_INT64' : 'TYPE_STRING',
      })),
    );
    expect(append!.rows).toEqual([
      {
        event_id: full.event_id,
        event_type: 'page.viewed',
        source: 'api',
        producer: 'key_1',
        site_id: 'shop',
        user_id: 'u-1',
        path: '/pricing',
        occurred_at: '1767323045678000',
        received_at: '1767323046000000',
        processed_at: '1767323047000000',
        payload: '{"title":"Pricing","n":1}',
        metadata: '{"batch":"b-1"}',
      },
      {
        event_id: sparse.event_id,
        event_type: 'page.viewed',
        source: 'api',
        producer: 'key_1',
        occurred_at: '1767323045678000',
        received_at: '1767323046000000',
        processed_at: '1767323047000000',
        payload: '{}',
      },
    ]);
  });

  it('sends a batch as one request, or as several when it is larger than a request may be', async () => {
    const rows = Array.from({ length: 1000 }, () => row());
    await warehouse().write(rows);
    expect(server.appends.map((a) => a.rows.length)).toEqual([1000]);

    server.appends.length = 0;
    await warehouse({ maxRequestBytes: 100_000 }).write(rows);
    expect(server.appends.length).toBeGreaterThan(3);
    expect(server.rows().map((r) => r.event_id)).toEqual(rows.map((r) => r.event_id));
  });

  it('reports the rows BigQuery refuses with its reason, and sends the others again', async () => {
    const rows = [row(), row(), row(), row()];
    server.refuse.set(rows[1]!.event_id, 'JSON value is too deeply nested');
    server.refuse.set(rows[3]!.event_id, 'payload: invalid');
    const result = await warehouse().write(rows);
    expect(result.rejected).toEqual([
      { index: 1, reason: 'JSON value is too deeply nested' },
      { index: 3, reason: 'payload: invalid' },
    ]);
    // The refused request wrote nothing; the resend carries exactly the good rows.
    expect(server.rows().map((r) => r.event_id)).toEqual([rows[0]!.event_id, rows[2]!.event_id]);
  });

  it('refuses a row that does not fit the table without sending it', async () => {
    const result = await warehouse().write([row(), row({ occurred_at: new Date('nope') })]);
    expect(result.rejected).toEqual([{ index: 1, reason: 'occurred_at: must be a timestamp' }]);
    expect(server.rows()).toHaveLength(1);
  });

  it('retries a transient failure on the connection', async () => {
    server.failNext = { count: 1, code: 14, message: 'backend unavailable' };
    const rows = [row(), row()];
    expect(await warehouse().write(rows)).toEqual({ rejected: [] });
    expect(server.rows().map((r) => r.event_id)).toEqual(rows.map((r) => r.event_id));
  });

  it('fails the whole write, retriably, when BigQuery refuses the request as a whole', async () => {
    server.failNext = { count: 1, code: 7, message: 'permission denied on table' };
    const error = await warehouse()
      .write([row()])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WarehouseUnavailableError);
    expect((error as WarehouseUnavailableError).retriable).toBe(true);
    expect((error as Error).message).toContain('permission denied on table');
    expect(server.rows()).toEqual([]);
  });
});
