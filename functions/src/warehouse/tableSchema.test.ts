import { describe, expect, it } from 'vitest';
import { eventsTable, type TableSpec } from '../../../infra/spec.ts';
import {
  bigQuerySchemaChange,
  bigQueryTableOptions,
  duckDbAddColumnStatements,
  duckDbCreateStatements,
} from './tableSchema.ts';

describe('the events table in each warehouse', () => {
  it('creates the DuckDB table in a schema named like the dataset, required columns NOT NULL', () => {
    const [schema, table] = duckDbCreateStatements(eventsTable);
    expect(schema).toBe('CREATE SCHEMA IF NOT EXISTS "tributary"');
    expect(table).toContain('CREATE TABLE IF NOT EXISTS "tributary"."events"');
    expect(table).toContain('"event_id" VARCHAR NOT NULL');
    expect(table).toContain('"occurred_at" TIMESTAMPTZ NOT NULL');
    expect(table).toContain('"payload" JSON,');
    expect(table).toContain('"site_id" VARCHAR,');
  });

  it('adds the columns the spec gained, nullable', () => {
    const existing = eventsTable.columns.map((c) => c.name).filter((n) => n !== 'metadata');
    expect(duckDbAddColumnStatements(eventsTable, existing)).toEqual([
      'ALTER TABLE "tributary"."events" ADD COLUMN IF NOT EXISTS "metadata" JSON',
    ]);
    expect(
      duckDbAddColumnStatements(
        eventsTable,
        eventsTable.columns.map((c) => c.name),
      ),
    ).toEqual([]);
  });

  it('partitions the BigQuery table by day of occurred_at and clusters by type and site', () => {
    const options = bigQueryTableOptions(eventsTable);
    expect(options.timePartitioning).toEqual({ type: 'DAY', field: 'occurred_at' });
    expect(options.clustering).toEqual({ fields: ['event_type', 'site_id'] });
    expect(options.schema.fields.map((f) => f.name)).toEqual(
      eventsTable.columns.map((c) => c.name),
    );
  });

  it('evolves a BigQuery table by adding missing columns, and reports type conflicts', () => {
    const current: { name: string; type: string }[] = eventsTable.columns
      .filter((c) => c.name !== 'metadata')
      .map((c) => ({ name: c.name, type: c.type }));
    current[0] = { name: 'event_id', type: 'INTEGER' };
    const change = bigQuerySchemaChange(eventsTable, current);
    expect(change.add).toEqual([
      { name: 'metadata', type: 'JSON', mode: 'NULLABLE', description: 'Producer metadata.' },
    ]);
    expect(change.conflicts).toEqual(['event_id: INTEGER in BigQuery, STRING in the spec']);
  });

  it('treats BigQuery type aliases as the same type', () => {
    const table: TableSpec = {
      ...eventsTable,
      columns: [{ name: 'n', type: 'INT64', mode: 'NULLABLE', description: '' }],
    };
    expect(bigQuerySchemaChange(table, [{ name: 'n', type: 'INTEGER' }])).toEqual({
      add: [],
      conflicts: [],
    });
  });
});
