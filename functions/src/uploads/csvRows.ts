import type { FieldError } from '../lib/http.ts';
import { maxIdempotencyKeyLength } from '../lib/idempotencyHeader.ts';

/**
 * How a CSV file maps onto events. One row is one event, with the same fields as the
 * event API. Headers are read the way people write them: case, spaces, `_` and `-` do
 * not matter, so `event_type`, `Event Type` and `eventType` are one column, and the
 * names other tools export are taken too (`timestamp`, `time`, `occurred_at` for
 * `occurredAt`). `event_id` is the row's idempotency key. The payload and metadata come
 * as JSON text in a `payload` / `metadata` column or spread over `payload.<name>` /
 * `metadata.<name>` columns, and every other column is kept in the payload under its
 * header, as the text sent. Empty cells are left out.
 */
export const scalarFields = ['eventType', 'occurredAt', 'siteId', 'userId', 'path'] as const;
type ScalarField = (typeof scalarFields)[number];
type ObjectField = 'payload' | 'metadata';

/** Header names, with case, spaces, `_` and `-` taken out, and the field each names. */
const namedFields: Record<string, ScalarField | ObjectField | 'idempotencyKey'> = {
  eventtype: 'eventType',
  occurredat: 'occurredAt',
  timestamp: 'occurredAt',
  time: 'occurredAt',
  siteid: 'siteId',
  userid: 'userId',
  path: 'path',
  eventid: 'idempotencyKey',
  idempotencykey: 'idempotencyKey',
  payload: 'payload',
  metadata: 'metadata',
};

export type ColumnMapping =
  | { kind: 'scalar'; field: ScalarField }
  | { kind: 'idempotencyKey' }
  | { kind: 'json'; field: ObjectField }
  | { kind: 'member'; field: ObjectField; name: string }
  /** A column without a header: its cells must be empty. */
  | { kind: 'unnamed'; position: number };

/** How one header was read, as the upload's answer shows it. */
export type ColumnReading = { header: string; field: string };

export type Header = {
  columns: ColumnMapping[];
  readings: ColumnReading[];
  /** The header that gave each field, for naming a row's errors the way the file does. */
  headerOfField: ReadonlyMap<string, string>;
};

export function parseHeader(
  names: string[],
): { ok: true; header: Header } | { ok: false; errors: FieldError[] } {
  const columns = names.map((name, index) => mapColumn(name.trim(), index + 1));
  const readings = names.map((name, index) => ({
    header: name.trim(),
    field: describeMapping(columns[index]!),
  }));
  const errors: FieldError[] = [];
  const headerOfField = new Map<string, string>();
  for (const { header, field } of readings) {
    if (field === '(none)') continue;
    const earlier = headerOfField.get(field);
    if (earlier !== undefined) {
      errors.push({
        field: header,
        message: `is read as ${field}, as ${JSON.stringify(earlier)} is: two columns cannot give one field`,
      });
    } else headerOfField.set(field, header);
  }
  if (!columns.some((column) => column.kind === 'scalar' && column.field === 'eventType')) {
    errors.push({
      field: 'eventType',
      message:
        'the header needs an event type column (eventType, event_type or Event Type, in any case)',
    });
  }
  return errors.length > 0
    ? { ok: false, errors }
    : { ok: true, header: { columns, readings, headerOfField } };
}

function mapColumn(name: string, position: number): ColumnMapping {
  if (name === '') return { kind: 'unnamed', position };
  const named = namedFields[normalize(name)];
  if (named === 'idempotencyKey') return { kind: 'idempotencyKey' };
  if (named === 'payload' || named === 'metadata') return { kind: 'json', field: named };
  if (named !== undefined) return { kind: 'scalar', field: named };
  const dot = name.indexOf('.');
  if (dot > 0 && dot < name.length - 1) {
    const prefix = namedFields[normalize(name.slice(0, dot))];
    if (prefix === 'payload' || prefix === 'metadata')
      return { kind: 'member', field: prefix, name: name.slice(dot + 1) };
  }
  return { kind: 'member', field: 'payload', name };
}

function normalize(name: string): string {
  return name.toLowerCase().replace(/[\s_-]+/g, '');
}

function describeMapping(column: ColumnMapping): string {
  if (column.kind === 'idempotencyKey') return 'idempotencyKey';
  if (column.kind === 'member') return `${column.field}.${column.name}`;
  if (column.kind === 'unnamed') return '(none)';
  return column.field;
}

export type MappedRow = { raw: Record<string, unknown>; idempotencyKey: string | undefined };

/** One row as the raw event the event API would have received, or what is wrong with it. */
export function rowToRawEvent(
  header: Header,
  cells: string[],
): ({ ok: true } & MappedRow) | { ok: false; errors: FieldError[] } {
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
  const members: { field: ObjectField; name: string; value: string; header: string }[] = [];
  let idempotencyKey: string | undefined;
  const errors: FieldError[] = [];
  for (const [index, column] of header.columns.entries()) {
    const cell = cells[index] ?? '';
    if (cell === '') continue;
    const { header: name } = header.readings[index]!;
    switch (column.kind) {
      case 'scalar':
        raw[column.field] = cell;
        break;
      case 'idempotencyKey':
        if (cell.length > maxIdempotencyKeyLength)
          errors.push({ field: name, message: `at most ${maxIdempotencyKeyLength} characters` });
        else idempotencyKey = cell;
        break;
      case 'json': {
        const parsed = parseJsonObject(cell);
        if (parsed === undefined)
          errors.push({ field: name, message: 'must be a JSON object, like {"a":1}' });
        else raw[column.field] = parsed;
        break;
      }
      case 'member':
        members.push({ field: column.field, name: column.name, value: cell, header: name });
        break;
      case 'unnamed':
        errors.push({
          field: `(column ${column.position})`,
          message: 'has a value but no header; name the column or empty it',
        });
        break;
    }
  }
  // Member columns go in after the JSON columns, so a clash is seen whatever the order.
  for (const member of members) {
    const target = (raw[member.field] ??= {}) as Record<string, unknown>;
    if (Object.hasOwn(target, member.name)) {
      errors.push({
        field: member.header,
        message: `gives ${member.field}.${member.name}, which the ${member.field} column also gives`,
      });
    } else {
      // Defined, not assigned: a column named `__proto__` is a key like any other.
      Object.defineProperty(target, member.name, {
        value: member.value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, raw, idempotencyKey };
}

/**
 * A row's error in the file's own terms: a field read from a header is named by that
 * header (`timestamp`, not `occurredAt`), so the answer points at the column to fix.
 */
export function inFileTerms(header: Header, errors: FieldError[]): FieldError[] {
  return errors.map((error) => {
    const named = header.headerOfField.get(error.field);
    return named === undefined || named === error.field ? error : { ...error, field: named };
  });
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
