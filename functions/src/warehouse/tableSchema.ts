import type { ColumnSpec, TableSpec } from '../../../infra/spec.ts';

/**
 * The spec's table in each warehouse's terms. BigQuery gets its schema, partitioning
 * and clustering; DuckDB the same table and columns in a schema named like the
 * dataset, so `tributary.events` reads the same in both.
 */

const duckDbTypes: Record<ColumnSpec['type'], string> = {
  STRING: 'VARCHAR',
  INT64: 'BIGINT',
  FLOAT64: 'DOUBLE',
  BOOL: 'BOOLEAN',
  TIMESTAMP: 'TIMESTAMPTZ',
  DATE: 'DATE',
  JSON: 'JSON',
};

export function duckDbTableName(table: TableSpec): string {
  return `${quoteIdentifier(table.dataset)}.${quoteIdentifier(table.name)}`;
}

/** Statements that create the schema and table when missing. */
export function duckDbCreateStatements(table: TableSpec): string[] {
  const columns = table.columns.map(
    (column) =>
      `${quoteIdentifier(column.name)} ${duckDbTypes[column.type]}${column.mode === 'REQUIRED' ? ' NOT NULL' : ''}`,
  );
  return [
    `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(table.dataset)}`,
    `CREATE TABLE IF NOT EXISTS ${duckDbTableName(table)} (${columns.join(', ')})`,
  ];
}

/**
 * Columns the spec declares that the existing table lacks, as ALTER statements.
 * Added columns are nullable, as BigQuery requires of columns added later.
 */
export function duckDbAddColumnStatements(table: TableSpec, existing: readonly string[]): string[] {
  const present = new Set(existing);
  return missingColumns(table, present).map(
    (column) =>
      `ALTER TABLE ${duckDbTableName(table)} ADD COLUMN IF NOT EXISTS ${quoteIdentifier(column.name)} ${duckDbTypes[column.type]}`,
  );
}

export type BigQueryField = { name: string; type: string; mode: string; description: string };

export function bigQueryFields(table: TableSpec): BigQueryField[] {
  return table.columns.map((column) => ({
    name: column.name,
    type: column.type,
    mode: column.mode,
    description: column.description,
  }));
}

/** Table options for creating the table in BigQuery. */
export function bigQueryTableOptions(table: TableSpec): {
  schema: { fields: BigQueryField[] };
  description: string;
  timePartitioning: { type: 'DAY'; field: string };
  clustering: { fields: string[] };
} {
  return {
    schema: { fields: bigQueryFields(table) },
    description: table.description,
    timePartitioning: { type: table.partition.type, field: table.partition.field },
    clustering: { fields: [...table.clustering] },
  };
}

export type SchemaChange = {
  /** Columns to add (always nullable). */
  add: BigQueryField[];
  /** Columns whose type differs from the spec: never changed automatically. */
  conflicts: string[];
};

/** What to change in an existing BigQuery table so it has every column the spec declares. */
export function bigQuerySchemaChange(
  table: TableSpec,
  current: readonly { name?: string; type?: string }[],
): SchemaChange {
  const currentByName = new Map(current.map((field) => [field.name ?? '', field]));
  const add: BigQueryField[] = [];
  const conflicts: string[] = [];
  for (const field of bigQueryFields(table)) {
    const existing = currentByName.get(field.name);
    if (!existing) add.push({ ...field, mode: 'NULLABLE' });
    else if (normalizeBigQueryType(existing.type) !== normalizeBigQueryType(field.type)) {
      conflicts.push(
        `${field.name}: ${existing.type ?? '?'} in BigQuery, ${field.type} in the spec`,
      );
    }
  }
  return { add, conflicts };
}

function normalizeBigQueryType(type: string | undefined): string {
  const aliases: Record<string, string> = { INTEGER: 'INT64', FLOAT: 'FLOAT64', BOOLEAN: 'BOOL' };
  const upper = (type ?? '').toUpperCase();
  return aliases[upper] ?? upper;
}

function missingColumns(table: TableSpec, present: Set<string>): ColumnSpec[] {
  return table.columns.filter((column) => !present.has(column.name));
}

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
