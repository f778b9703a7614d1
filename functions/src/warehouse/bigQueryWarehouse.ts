import type { BigQuery } from '@google-cloud/bigquery';
import { adapt, managedwriter } from '@google-cloud/bigquery-storage';
import type { TableSpec } from '../../../infra/spec.ts';
import { describe } from '../lib/errors.ts';
import { packByLimits } from '../lib/eventMessages.ts';
import type { Logger } from '../lib/logger.ts';
import { bigQueryFields } from './tableSchema.ts';
import {
  WarehouseUnavailableError,
  type QueryParams,
  type SubjectErasure,
  type RowRejection,
  type Warehouse,
  type WarehouseRow,
  type WriteResult,
} from './warehouse.ts';
import { eraseFromBigQuery } from './bigQueryErasure.ts';
import { checkRows } from './warehouseRow.ts';

type WriterClientOptions = ConstructorParameters<typeof managedwriter.WriterClient>[0];

export type BigQueryOptions = {
  projectId: string;
  table: TableSpec;
  /** Dataset location for queries (US, EU, a region). */
  location?: string;
  /** Client options of the Storage Write API client (endpoint, credentials). */
  writerOptions?: WriterClientOptions;
  /** Builds the query client; loaded lazily, since only queries need it. */
  queryClient?: () => Promise<BigQuery>;
  /** Largest append request; the API refuses requests over 10 MB. */
  maxRequestBytes?: number;
  /** An append not answered within this time fails the write (and the connection is reopened). */
  appendTimeoutMs?: number;
  logger?: Logger;
};

const defaultMaxRequestBytes = 9 * 1024 * 1024;
// A request that fails for some rows writes none: the others are sent again, at most this often.
const maxResendRounds = 3;

type Writer = {
  connection: Awaited<ReturnType<managedwriter.WriterClient['createStreamConnection']>>;
  writer: managedwriter.JSONWriter;
};

type AppendResponse = {
  error?: { code?: number | null; message?: string | null } | null;
  rowErrors?: { index?: number | string | Long | null; message?: string | null }[] | null;
};

type Long = { toNumber(): number };

/**
 * BigQuery through the Storage Write API's default stream: rows are committed as
 * soon as an append is acknowledged, any number of writers may append at once,
 * and delivery is at least once. A redelivered event may therefore be stored
 * twice, which is why every query counts DISTINCT event_id.
 *
 * A batch is one call of `write`; it is sent as one append request, or several on
 * the same connection when it is larger than a request may be.
 */
export class BigQueryWarehouse implements Warehouse {
  readonly dialect = 'bigquery';
  readonly #options: BigQueryOptions;
  readonly #destination: string;
  #client: managedwriter.WriterClient | undefined;
  #writer: Promise<Writer> | undefined;
  #bigquery: Promise<BigQuery> | undefined;

  constructor(options: BigQueryOptions) {
    this.#options = options;
    this.#destination = `projects/${options.projectId}/datasets/${options.table.dataset}/tables/${options.table.name}`;
  }

  /** The table's schema as the Storage Write API expects it, from the spec. */
  protoDescriptor(): ReturnType<typeof adapt.convertStorageSchemaToProto2Descriptor> {
    const storageSchema = adapt.convertBigQuerySchemaToStorageTableSchema({
      fields: bigQueryFields(this.#options.table),
    });
    return adapt.convertStorageSchemaToProto2Descriptor(storageSchema, 'root');
  }

  async write(rows: readonly WarehouseRow[]): Promise<WriteResult> {
    const { fitting, rejected } = checkRows(rows, this.#options.table);
    let pending = fitting;
    for (let round = 0; pending.length > 0; round += 1) {
      if (round >= maxResendRounds) {
        throw new WarehouseUnavailableError(
          `BigQuery kept refusing parts of the batch after ${maxResendRounds} attempts.`,
        );
      }
      const outcome = await this.#append(rows, pending);
      rejected.push(...outcome.rejected);
      pending = outcome.resend;
    }
    rejected.sort((a, b) => a.index - b.index);
    return { rejected };
  }

  /**
   * Appends the rows at `indexes` in as few requests as fit. A request that BigQuery
   * refuses because of some of its rows writes none of them: those rows are
   * rejected and the rest come back to be sent again.
   */
  async #append(
    rows: readonly WarehouseRow[],
    indexes: number[],
  ): Promise<{ rejected: RowRejection[]; resend: number[] }> {
    const { writer } = await this.#openWriter();
    const chunks = chunkBySize(
      rows,
      indexes,
      this.#options.maxRequestBytes ?? defaultMaxRequestBytes,
    );
    let responses: AppendResponse[];
    try {
      responses = await withTimeout(
        Promise.all(
          chunks.map((chunk) =>
            writer.appendRows(chunk.map((index) => jsonRow(rows[index]!))).getResult(),
          ),
        ),
        this.#options.appendTimeoutMs ?? 60_000,
      );
    } catch (error) {
      this.#resetWriter();
      throw new WarehouseUnavailableError(`BigQuery append failed: ${describe(error)}`, error);
    }
    const rejected: RowRejection[] = [];
    const resend: number[] = [];
    for (const [chunkIndex, response] of responses.entries()) {
      const chunk = chunks[chunkIndex]!;
      if (!response.error) continue;
      const rowErrors = response.rowErrors ?? [];
      if (rowErrors.length === 0) {
        throw new WarehouseUnavailableError(
          `BigQuery refused the append: ${response.error.message ?? `code ${response.error.code}`}`,
        );
      }
      const bad = new Map<number, string>();
      for (const rowError of rowErrors) {
        const position = toNumber(rowError.index);
        const index = chunk[position];
        if (index !== undefined) bad.set(index, rowError.message ?? 'refused by BigQuery');
      }
      for (const index of chunk) {
        const reason = bad.get(index);
        if (reason === undefined) resend.push(index);
        else rejected.push({ index, reason });
      }
    }
    return { rejected, resend };
  }

  #queryClient(): Promise<BigQuery> {
    this.#bigquery ??= this.#options.queryClient
      ? this.#options.queryClient()
      : import('@google-cloud/bigquery').then(
          ({ BigQuery }) => new BigQuery({ projectId: this.#options.projectId }),
        );
    return this.#bigquery;
  }

  async query(sql: string, params: QueryParams): Promise<Record<string, unknown>[]> {
    const bigquery = await this.#queryClient();
    try {
      const [rows] = await bigquery.query({
        query: sql,
        params,
        useLegacySql: false,
        ...(this.#options.location ? { location: this.#options.location } : {}),
      });
      return (rows as Record<string, unknown>[]).map(plainRow);
    } catch (error) {
      throw new WarehouseUnavailableError(`BigQuery query failed: ${describe(error)}`, error);
    }
  }

  /** See `eraseFromBigQuery`: the days holding the subjects first, then a DELETE bounded to them. */
  async eraseSubjects(ids: readonly string[]): Promise<SubjectErasure> {
    const { table, projectId, location } = this.#options;
    return eraseFromBigQuery(await this.#queryClient(), { table, projectId, location }, ids);
  }

  async close(): Promise<void> {
    this.#resetWriter();
    this.#client?.close();
    this.#client = undefined;
  }

  #openWriter(): Promise<Writer> {
    this.#writer ??= (async () => {
      if (!this.#client) {
        this.#client = new managedwriter.WriterClient(this.#options.writerOptions);
        // Transient stream errors are retried on the connection: at least once, as
        // the default stream is anyway.
        this.#client.enableWriteRetries(true);
      }
      const connection = await this.#client.createStreamConnection({
        streamId: managedwriter.DefaultStream,
        destinationTable: this.#destination,
      });
      // Without a listener a connection error would be thrown at the process.
      connection.onConnectionError((error) => {
        this.#options.logger?.warn({ err: error }, 'BigQuery write connection error');
        this.#resetWriter();
      });
      const writer = new managedwriter.JSONWriter({
        connection,
        protoDescriptor: this.protoDescriptor(),
      });
      return { connection, writer };
    })();
    const opening = this.#writer;
    opening.catch(() => {
      if (this.#writer === opening) this.#writer = undefined;
    });
    return opening;
  }

  #resetWriter(): void {
    const writer = this.#writer;
    this.#writer = undefined;
    void writer?.then(
      (open) => open.writer.close(),
      () => undefined,
    );
  }
}

/** A row as the JSON writer encodes it: timestamps as dates, JSON as text, nulls left out. */
function jsonRow(row: WarehouseRow): Record<string, string | Date> {
  const result: Record<string, string | Date> = {};
  for (const [key, value] of Object.entries(row)) {
    if (value !== null && value !== undefined) result[key] = value;
  }
  return result;
}

/** Splits row indexes into groups whose encoded size stays under the request limit. */
export function chunkBySize(
  rows: readonly WarehouseRow[],
  indexes: readonly number[],
  maxBytes: number,
): number[][] {
  // The JSON text bounds the protobuf encoding from above (keys become field numbers).
  return packByLimits(indexes, (index) => Buffer.byteLength(JSON.stringify(rows[index])), {
    maxEvents: Number.POSITIVE_INFINITY,
    maxBytes,
  });
}

function toNumber(value: number | string | Long | null | undefined): number {
  if (value === null || value === undefined) return -1;
  if (typeof value === 'object') return value.toNumber();
  return Number(value);
}

/** Query results with BigQuery's wrapper objects (dates, timestamps) as plain values. */
function plainRow(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(row).map(([key, value]) => [
      key,
      value !== null && typeof value === 'object' && 'value' in value ? value.value : value,
    ]),
  );
}

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
