import type { FieldError } from '../lib/http.ts';

/**
 * How a CSV file maps onto events. One row is one event, with the same fields as the
 * event API: `eventType` (required), `occurredAt`, `siteId`, `userId`, `path`, and the
 * payload and metadata either as JSON text in a `payload` / `metadata` column, or spread
 * over `payload.<name>` / `metadata.<name>` columns whose values are kept as strings.
 * Empty cells are left out. Unknown columns are refused, as unknown fields are.
 */
export const scalarColumns = ['eventType', 'occurredAt', 'siteId', 'userId', 'path'] as const;
type ScalarColumn = (typeof scalarColumns)[number];
type ObjectField = 'payload' | 'metadata';

export type ColumnMapping =
  | { kind: 'scalar'; field: ScalarColumn }
  | { kind: 'json'; field: ObjectField }
  | { kind: 'member'; field: ObjectField; name: string };

export type Header = { columns: ColumnMapping[]; names: string[] };

export function parseHeader(
  names: string[],
): { ok: true; header: Header } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const columns: ColumnMapping[] = [];
  const seen = new Set<string>();
  const trimmed = names.map((name) => name.trim());
  for (const name of trimmed) {
    if (seen.has(name)) errors.push({ field: name, message: 'column appears twice' });
    seen.add(name);
    const mapping = mapColumn(name);
    if (mapping) columns.push(mapping);
    else
      errors.push({
        field: name || '(empty)',
        message: `unknown column; use ${scalarColumns.join(', ')}, payload, metadata, payload.<name> or metadata.<name>`,
      });
  }
  if (!seen.has('eventType'))
    errors.push({ field: 'eventType', message: 'the header needs an eventType column' });
  for (const field of ['payload', 'metadata'] as const) {
    if (seen.has(field) && trimmed.some((name) => name.startsWith(`${field}.`))) {
      errors.push({
        field,
        message: `use either a ${field} column with JSON or ${field}.<name> columns, not both`,
      });
    }
  }
  return errors.length > 0
    ? { ok: false, errors }
    : { ok: true, header: { columns, names: trimmed } };
}

function mapColumn(name: string): ColumnMapping | undefined {
  if ((scalarColumns as readonly string[]).includes(name))
    return { kind: 'scalar', field: name as ScalarColumn };
  if (name === 'payload' || name === 'metadata') return { kind: 'json', field: name };
  const match = /^(payload|metadata)\.(.{1,200})$/.exec(name);
  if (match) return { kind: 'member', field: match[1] as ObjectField, name: match[2]! };
  return undefined;
}

/** One row as the raw event the event API would have received, or what is wrong with it. */
export function rowToRawEvent(
  header: Header,
  cells: string[],
): { ok: true; raw: Record<string, unknown> } | { ok: false; errors: FieldError[] } {
  if (cells.length !== header.columns.length) {
    return {
      ok: false,
      errors: [
        {
          field: '(row)',
          message: `has ${cells.length} columns; the header has ${header.columns.length}`,
        },
      ],
    };
  }
  const raw: Record<string, unknown> = { payload: {} };
  const errors: FieldError[] = [];
  for (const [index, column] of header.columns.entries()) {
    const cell = cells[index] ?? '';
    if (cell === '') continue;
    switch (column.kind) {
      case 'scalar':
        raw[column.field] = cell;
        break;
      case 'json': {
        const parsed = parseJsonObject(cell);
        if (parsed === undefined)
          errors.push({ field: column.field, message: 'must be a JSON object, like {"a":1}' });
        else raw[column.field] = parsed;
        break;
      }
      case 'member': {
        const target = (raw[column.field] ??= {}) as Record<string, unknown>;
        target[column.name] = cell;
        break;
      }
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, raw };
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
