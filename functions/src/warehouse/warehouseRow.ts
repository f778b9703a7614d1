import type { ColumnSpec, TableSpec } from '../../../infra/spec.ts';
import type { ProcessedEvent } from '../lib/eventEnvelope.ts';
import type { RowRejection, WarehouseRow } from './warehouse.ts';

/** A processed event as a row of the events table. */
export function toWarehouseRow(event: ProcessedEvent): WarehouseRow {
  return {
    event_id: event.eventId,
    event_type: event.eventType,
    source: event.source,
    producer: event.producer,
    site_id: event.siteId ?? null,
    user_id: event.userId ?? null,
    path: event.path ?? null,
    occurred_at: new Date(event.occurredAt),
    received_at: new Date(event.receivedAt),
    processed_at: new Date(event.processedAt),
    payload: JSON.stringify(event.payload),
    metadata: event.metadata ? JSON.stringify(event.metadata) : null,
  };
}

/**
 * Checks a row against the table's columns before it is sent, so one bad row is
 * refused on its own instead of failing the whole batch. Returns the reason, or
 * undefined when the row fits.
 */
export function rowProblem(row: WarehouseRow, table: TableSpec): string | undefined {
  const values = row as unknown as Record<string, unknown>;
  for (const column of table.columns) {
    const value = values[column.name];
    if (value === null || value === undefined) {
      if (column.mode === 'REQUIRED') return `${column.name}: required`;
      continue;
    }
    const problem = valueProblem(value, column);
    if (problem) return `${column.name}: ${problem}`;
  }
  const unknown = Object.keys(values).filter((key) => !table.columns.some((c) => c.name === key));
  return unknown.length > 0 ? `unknown column(s): ${unknown.join(', ')}` : undefined;
}

// BigQuery's timestamp range; DuckDB's is wider.
const minTimestamp = Date.UTC(1, 0, 1);
const maxTimestamp = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

function valueProblem(value: unknown, column: ColumnSpec): string | undefined {
  switch (column.type) {
    case 'STRING':
      return typeof value === 'string' ? undefined : 'must be a string';
    case 'JSON':
      if (typeof value !== 'string') return 'must be JSON text';
      try {
        JSON.parse(value);
        return undefined;
      } catch {
        return 'is not valid JSON';
      }
    case 'TIMESTAMP': {
      if (!(value instanceof Date) || Number.isNaN(value.getTime())) return 'must be a timestamp';
      const time = value.getTime();
      return time < minTimestamp || time > maxTimestamp ? 'is out of range' : undefined;
    }
    case 'DATE':
      return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)
        ? undefined
        : 'must be YYYY-MM-DD';
    case 'INT64':
      return typeof value === 'number' && Number.isSafeInteger(value)
        ? undefined
        : 'must be an integer';
    case 'FLOAT64':
      return typeof value === 'number' ? undefined : 'must be a number';
    case 'BOOL':
      return typeof value === 'boolean' ? undefined : 'must be true or false';
    default:
      return `has an unsupported type ${String(column.type)}`;
  }
}

/** A batch split into the rows that fit the table (by index) and the refusals of the rest. */
export function checkRows(
  rows: readonly WarehouseRow[],
  table: TableSpec,
): { fitting: number[]; rejected: RowRejection[] } {
  const fitting: number[] = [];
  const rejected: RowRejection[] = [];
  for (const [index, row] of rows.entries()) {
    const problem = rowProblem(row, table);
    if (problem) rejected.push({ index, reason: problem });
    else fitting.push(index);
  }
  return { fitting, rejected };
}
