import { eventsTable } from '../../../infra/spec.ts';
import type { Config } from '../lib/config.ts';
import { defaults } from '../lib/defaults.ts';
import type { Logger } from '../lib/logger.ts';
import type {
  QueryParams,
  SqlDialect,
  SubjectErasure,
  Warehouse,
  WarehouseRow,
  WriteResult,
} from './warehouse.ts';

/**
 * The configured warehouse, loaded on first use: the DuckDB binding and the BigQuery
 * clients take time to load, and most functions never touch the warehouse.
 */
export function createWarehouse(config: Config, logger: Logger): Warehouse {
  if (config.warehouse === 'duckdb') {
    return new LazyWarehouse('duckdb', async () => {
      const { DuckDbWarehouse } = await import('./duckDbWarehouse.ts');
      return new DuckDbWarehouse({
        path: config.warehouseDuckDbPath,
        table: eventsTable,
        lockTimeoutMs: defaults.warehouseLockTimeoutMs,
      });
    });
  }
  return new LazyWarehouse('bigquery', async () => {
    const { BigQueryWarehouse } = await import('./bigQueryWarehouse.ts');
    return new BigQueryWarehouse({
      projectId: config.bigQueryProject,
      table: eventsTable,
      logger,
      ...(config.bigQueryLocation ? { location: config.bigQueryLocation } : {}),
    });
  });
}

class LazyWarehouse implements Warehouse {
  readonly dialect: SqlDialect;
  readonly #load: () => Promise<Warehouse>;
  #loaded: Promise<Warehouse> | undefined;

  constructor(dialect: SqlDialect, load: () => Promise<Warehouse>) {
    this.dialect = dialect;
    this.#load = load;
  }

  async write(rows: readonly WarehouseRow[]): Promise<WriteResult> {
    return (await this.#get()).write(rows);
  }

  async query(sql: string, params: QueryParams): Promise<Record<string, unknown>[]> {
    return (await this.#get()).query(sql, params);
  }

  async eraseSubjects(ids: readonly string[]): Promise<SubjectErasure> {
    return (await this.#get()).eraseSubjects(ids);
  }

  async close(): Promise<void> {
    if (this.#loaded) await (await this.#loaded).close();
  }

  #get(): Promise<Warehouse> {
    this.#loaded ??= this.#load();
    return this.#loaded;
  }
}
