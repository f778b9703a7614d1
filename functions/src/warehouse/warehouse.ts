import { PipelineError } from '../lib/errors.ts';

/**
 * One row of the events table, keyed by column name (see `eventsTable` in the spec).
 * JSON columns hold JSON text; timestamps are instants.
 */
export type WarehouseRow = {
  event_id: string;
  event_type: string;
  source: string;
  producer: string;
  site_id: string | null;
  user_id: string | null;
  path: string | null;
  occurred_at: Date;
  received_at: Date;
  processed_at: Date;
  payload: string | null;
  metadata: string | null;
};

/** A row the warehouse refused for good: writing it again can never succeed. */
export type RowRejection = { index: number; reason: string };

export type WriteResult = {
  /** Rows (by index in the batch) refused for good; every other row was written. */
  rejected: RowRejection[];
};

export type QueryParams = Record<string, string | number | boolean>;

export type SqlDialect = 'bigquery' | 'duckdb';

/**
 * The analytical store: BigQuery in the cloud, an embedded DuckDB file locally.
 * Nothing outside the adapters knows which one it talks to, except through `dialect`
 * to pick the SQL written for it.
 */
export interface Warehouse {
  readonly dialect: SqlDialect;
  /**
   * Writes a batch in one call. Resolves once every row not listed as rejected is
   * durably written. Throws (a retriable PipelineError) when the batch as a whole
   * could not be written: nothing of it may be acknowledged then.
   */
  write(rows: readonly WarehouseRow[]): Promise<WriteResult>;
  /** Runs a read-only query with named parameters; column values as JSON-safe values. */
  query(sql: string, params: QueryParams): Promise<Record<string, unknown>[]>;
  /**
   * Deletes every row of the given subjects (by `user_id` or the payload's
   * `anonymousId`); says how many and where it looked.
   */
  eraseSubjects(ids: readonly string[]): Promise<SubjectErasure>;
  close(): Promise<void>;
}

export type SubjectErasure = { removed: number; searched: string };

/** The warehouse did not answer or refused the call as a whole; trying later can help. */
export class WarehouseUnavailableError extends PipelineError {
  constructor(message: string, cause?: unknown) {
    super('warehouse_unavailable', message, { retriable: true, cause });
    this.name = 'WarehouseUnavailableError';
  }
}
