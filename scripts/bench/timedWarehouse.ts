import type {
  QueryParams,
  SubjectErasure,
  Warehouse,
  WarehouseRow,
  WriteResult,
} from '../../functions/src/warehouse/warehouse.ts';

/**
 * Counts warehouse write calls and rows, the bytes of the rows, and when each row became
 * durable after its 202 (the write's completion minus the row's received_at).
 */
export class TimedWarehouse implements Warehouse {
  readonly #inner: Warehouse;
  calls = 0;
  rows = 0;
  bytes = 0;
  latencies: number[] = [];
  #firstReceived = Number.POSITIVE_INFINITY;
  #lastWritten = 0;

  constructor(inner: Warehouse) {
    this.#inner = inner;
  }

  get dialect(): Warehouse['dialect'] {
    return this.#inner.dialect;
  }

  async write(rows: readonly WarehouseRow[]): Promise<WriteResult> {
    const result = await this.#inner.write(rows);
    const written = Date.now();
    this.calls += 1;
    this.rows += rows.length;
    this.#lastWritten = written;
    for (const row of rows) {
      this.bytes += Buffer.byteLength(JSON.stringify(row));
      this.latencies.push(written - row.received_at.getTime());
      this.#firstReceived = Math.min(this.#firstReceived, row.received_at.getTime());
    }
    return result;
  }

  query(sql: string, params: QueryParams): Promise<Record<string, unknown>[]> {
    return this.#inner.query(sql, params);
  }

  eraseSubjects(ids: readonly string[]): Promise<SubjectErasure> {
    return this.#inner.eraseSubjects(ids);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }

  spanMs(): number {
    return Math.max(1, this.#lastWritten - this.#firstReceived);
  }

  reset(): void {
    this.calls = 0;
    this.rows = 0;
    this.bytes = 0;
    this.latencies = [];
    this.#firstReceived = Number.POSITIVE_INFINITY;
    this.#lastWritten = 0;
  }
}
