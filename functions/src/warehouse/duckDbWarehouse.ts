import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import {
  DuckDBInstance,
  DuckDBTimestampTZValue,
  type DuckDBAppender,
  type DuckDBConnection,
} from '@duckdb/node-api';
import type { ColumnSpec, TableSpec } from '../../../infra/spec.ts';
import { describe } from '../lib/errors.ts';
import { duckDbAddColumnStatements, duckDbCreateStatements } from './tableSchema.ts';
import {
  WarehouseUnavailableError,
  type QueryParams,
  type SubjectErasure,
  type Warehouse,
  type WarehouseRow,
  type WriteResult,
} from './warehouse.ts';
import { duckDbEraseSql } from './subjectErasureSql.ts';
import { checkRows } from './warehouseRow.ts';

export type DuckDbOptions = {
  path: string;
  table: TableSpec;
  /** How long an open waits for another process to release the file. */
  lockTimeoutMs: number;
  /** Read-only opens share the file with other readers and never create it. */
  readOnly?: boolean;
  /** Keep the file open this long after the last operation (operations that overlap
   * always share one open); by default it is closed as soon as it is idle, so another
   * process waiting for it gets its turn between two loader batches. */
  idleCloseMs?: number;
};

/**
 * The local warehouse: one DuckDB file. DuckDB lets one process at a time open a
 * file for writing, and the local stack runs each function in its own process, so
 * the file is opened for each operation and closed once idle: the loader, the API
 * and `npm run sql` take turns, and an open that finds the file busy waits and
 * retries. Within a process every operation shares one open instance (two
 * instances of one file in a process would release each other's lock).
 */
export class DuckDbWarehouse implements Warehouse {
  readonly dialect = 'duckdb';
  readonly #options: DuckDbOptions;
  readonly #path: string;

  constructor(options: DuckDbOptions) {
    this.#options = options;
    this.#path = resolve(options.path);
  }

  async write(rows: readonly WarehouseRow[]): Promise<WriteResult> {
    const { fitting, rejected } = checkRows(rows, this.#options.table);
    const valid = fitting.map((index) => rows[index]!);
    if (valid.length === 0) return { rejected };
    await this.#withConnection(async (connection, shared) => {
      await connection.run('BEGIN TRANSACTION');
      try {
        const appender = await connection.createAppender(
          this.#options.table.name,
          this.#options.table.dataset,
        );
        for (const row of valid) appendRow(appender, row, shared.columns);
        appender.flushSync();
        appender.closeSync();
        await connection.run('COMMIT');
      } catch (error) {
        await connection.run('ROLLBACK').catch(() => undefined);
        throw new WarehouseUnavailableError(`DuckDB write failed: ${describe(error)}`, error);
      }
    });
    return { rejected };
  }

  async query(sql: string, params: QueryParams): Promise<Record<string, unknown>[]> {
    return this.#withConnection(async (connection) => {
      const reader = await connection.runAndReadAll(sql, params);
      return reader.getRowObjectsJson();
    });
  }

  async eraseSubjects(ids: readonly string[]): Promise<SubjectErasure> {
    const { table } = this.#options;
    const searched = `${table.dataset}.${table.name} by user_id and payload anonymousId`;
    if (ids.length === 0) return { removed: 0, searched };
    let removed = 0;
    // DuckDB binds at most a few thousand parameters a statement: a page of ids each.
    for (let start = 0; start < ids.length; start += 500) {
      const page = ids.slice(start, start + 500);
      removed += await this.#withConnection(async (connection) => {
        const reader = await connection.runAndReadAll(duckDbEraseSql(table, page.length), [
          ...page,
        ]);
        return reader.getRows().length;
      });
    }
    return { removed, searched };
  }

  /** Closes the file now if no operation uses it (it is closed whenever idle anyway). */
  async close(): Promise<void> {
    const entry = open.get(this.#path);
    if (!entry || entry.users > 0) return;
    open.delete(this.#path);
    clearTimeout(entry.idleTimer);
    const shared = await entry.opening.catch(() => undefined);
    shared?.instance.closeSync();
  }

  async #withConnection<T>(
    use: (connection: DuckDBConnection, shared: SharedInstance) => Promise<T>,
  ): Promise<T> {
    const lease = await acquire(this.#path, this.#options);
    let connection: DuckDBConnection | undefined;
    try {
      connection = await connect(lease.shared.instance);
      return await use(connection, lease.shared);
    } finally {
      connection?.closeSync();
      lease.release();
    }
  }
}

type SharedInstance = {
  instance: DuckDBInstance;
  readOnly: boolean;
  /** The table's columns in their stored order, with the spec's type where known. */
  columns: StoredColumn[];
};

type StoredColumn = { name: string; type: ColumnSpec['type'] | undefined };

type Entry = {
  opening: Promise<SharedInstance>;
  users: number;
  idleTimer: NodeJS.Timeout | undefined;
};

const open = new Map<string, Entry>();

async function acquire(
  path: string,
  options: DuckDbOptions,
): Promise<{ shared: SharedInstance; release: () => void }> {
  let entry = open.get(path);
  if (!entry) {
    entry = { opening: openFile(path, options), users: 0, idleTimer: undefined };
    open.set(path, entry);
  }
  const current = entry;
  current.users += 1;
  clearTimeout(current.idleTimer);
  let shared: SharedInstance;
  try {
    shared = await current.opening;
  } catch (error) {
    current.users -= 1;
    if (open.get(path) === current) open.delete(path);
    throw error;
  }
  if (shared.readOnly && !options.readOnly) {
    current.users -= 1;
    throw new WarehouseUnavailableError(`${path} is open read-only in this process.`);
  }
  let released = false;
  return {
    shared,
    release: () => {
      if (released) return;
      released = true;
      current.users -= 1;
      if (current.users > 0) return;
      current.idleTimer = setTimeout(() => {
        if (current.users > 0 || open.get(path) !== current) return;
        open.delete(path);
        shared.instance.closeSync();
      }, options.idleCloseMs ?? 0);
      current.idleTimer.unref();
    },
  };
}

async function openFile(path: string, options: DuckDbOptions): Promise<SharedInstance> {
  const readOnly = options.readOnly ?? false;
  if (!readOnly) await mkdir(dirname(path), { recursive: true });
  // Extensions DuckDB does not bundle would be downloaded on first use: never.
  const config: Record<string, string> = { autoinstall_known_extensions: 'false' };
  if (readOnly) config.access_mode = 'READ_ONLY';
  const deadline = Date.now() + options.lockTimeoutMs;
  let instance: DuckDBInstance;
  for (;;) {
    try {
      instance = await DuckDBInstance.create(path, config);
      break;
    } catch (error) {
      if (!isLockConflict(error) || Date.now() >= deadline) {
        throw new WarehouseUnavailableError(`Could not open ${path}: ${describe(error)}`, error);
      }
      await new Promise((resolveWait) => setTimeout(resolveWait, 20 + Math.random() * 80));
    }
  }
  try {
    const columns = await prepareTable(instance, options.table, readOnly);
    return { instance, readOnly, columns };
  } catch (error) {
    instance.closeSync();
    throw new WarehouseUnavailableError(`Could not prepare ${path}: ${describe(error)}`, error);
  }
}

/** Creates the table on first use and adds the columns the spec gained since. */
async function prepareTable(
  instance: DuckDBInstance,
  table: TableSpec,
  readOnly: boolean,
): Promise<StoredColumn[]> {
  const connection = await connect(instance);
  try {
    if (!readOnly) {
      for (const statement of duckDbCreateStatements(table)) await connection.run(statement);
    }
    const existing = await tableColumns(connection, table);
    if (!readOnly) {
      const additions = duckDbAddColumnStatements(table, existing);
      for (const statement of additions) await connection.run(statement);
      if (additions.length > 0) return toStored(await tableColumns(connection, table), table);
    }
    return toStored(existing, table);
  } finally {
    connection.closeSync();
  }
}

/** Every connection works in UTC, so dates and day boundaries are UTC days, as in BigQuery. */
async function connect(instance: DuckDBInstance): Promise<DuckDBConnection> {
  const connection = await instance.connect();
  await connection.run("SET TimeZone = 'UTC'");
  return connection;
}

async function tableColumns(connection: DuckDBConnection, table: TableSpec): Promise<string[]> {
  const reader = await connection.runAndReadAll(
    `SELECT column_name FROM information_schema.columns
     WHERE table_schema = $schema AND table_name = $table ORDER BY ordinal_position`,
    { schema: table.dataset, table: table.name },
  );
  return reader.getRowObjectsJson().map((row) => row.column_name as string);
}

function toStored(names: string[], table: TableSpec): StoredColumn[] {
  return names.map((name) => ({
    name,
    type: table.columns.find((column) => column.name === name)?.type,
  }));
}

function appendRow(appender: DuckDBAppender, row: WarehouseRow, columns: StoredColumn[]): void {
  const values = row as unknown as Record<string, unknown>;
  for (const column of columns) {
    const value = values[column.name];
    if (value === null || value === undefined || column.type === undefined) {
      appender.appendNull();
      continue;
    }
    switch (column.type) {
      case 'TIMESTAMP':
        appender.appendTimestampTZ(
          new DuckDBTimestampTZValue(BigInt((value as Date).getTime()) * 1000n),
        );
        break;
      case 'INT64':
        appender.appendBigInt(BigInt(value as number));
        break;
      case 'FLOAT64':
        appender.appendDouble(value as number);
        break;
      case 'BOOL':
        appender.appendBoolean(value as boolean);
        break;
      default:
        // STRING, JSON (text) and DATE (YYYY-MM-DD) are cast from text.
        appender.appendVarchar(value as string);
    }
  }
  appender.endRow();
}

function isLockConflict(error: unknown): boolean {
  return /lock/i.test(describe(error));
}

/** Reads the local warehouse without ever writing it, for `npm run sql`. */
export function openReadOnlyWarehouse(path: string, table: TableSpec): DuckDbWarehouse {
  return new DuckDbWarehouse({ path, table, lockTimeoutMs: 15_000, readOnly: true });
}
