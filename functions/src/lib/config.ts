import { z } from 'zod';
import { defaults } from './defaults.ts';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const configSchema = z.object({
  GOOGLE_CLOUD_PROJECT: z.string().min(1).default(defaults.projectId),
  TRIBUTARY_ENV: z.enum(['production', 'local', 'test']).default('production'),
  LOG_LEVEL: z
    .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
    .default(defaults.logLevel),
  PUBSUB_EMULATOR_HOST: z.string().optional(),
  FIRESTORE_EMULATOR_HOST: z.string().optional(),
  /** Bearer token of the operators' API. Required by the `api` function. */
  ADMIN_TOKEN: z.string().min(24, 'must be at least 24 characters').optional(),
  MAX_EVENT_BYTES: positiveInt(defaults.maxEventBytes),
  MAX_BATCH_BYTES: positiveInt(defaults.maxBatchBytes),
  MAX_BATCH_EVENTS: positiveInt(defaults.maxBatchEvents),
  API_KEY_CACHE_SECONDS: positiveInt(defaults.apiKeyCacheSeconds),
  RATE_LIMIT_PER_SECOND: positiveInt(defaults.rateLimitPerSecond),
  RATE_LIMIT_BURST: positiveInt(defaults.rateLimitBurst),
  IDEMPOTENCY_TTL_HOURS: positiveInt(defaults.idempotencyTtlHours),
  EVENT_TTL_DAYS: positiveInt(defaults.eventTtlDays),
  PUBLISH_TIMEOUT_MS: positiveInt(defaults.publishTimeoutMs),
  RETRY_AFTER_SECONDS: positiveInt(defaults.retryAfterSeconds),
  /** Where events are loaded and metrics queried: BigQuery in production, DuckDB otherwise. */
  WAREHOUSE: z.enum(['bigquery', 'duckdb']).optional(),
  WAREHOUSE_DUCKDB_PATH: z.string().min(1).default(defaults.warehouseDuckDbPath),
  /** Project of the BigQuery dataset, when it is not the functions' project. */
  BIGQUERY_PROJECT: z.string().min(1).optional(),
  /** Location of the BigQuery dataset (US, EU, a region); queries run there. */
  BIGQUERY_LOCATION: z.string().min(1).optional(),
  WAREHOUSE_BATCH_ROWS: positiveInt(defaults.warehouseBatchRows),
  WAREHOUSE_MAX_ROWS_PER_RUN: positiveInt(defaults.warehouseMaxRowsPerRun),
  WAREHOUSE_RUN_SECONDS: positiveInt(defaults.warehouseRunSeconds),
  METRICS_CACHE_SECONDS: z.coerce.number().int().min(0).default(defaults.metricsCacheSeconds),
  METRICS_RECOMPUTE_DAYS: positiveInt(defaults.metricsRecomputeDays),
});

export type Config = Readonly<{
  projectId: string;
  environment: 'production' | 'local' | 'test';
  logLevel: string;
  pubsubEmulatorHost: string | undefined;
  firestoreEmulatorHost: string | undefined;
  adminToken: string | undefined;
  maxEventBytes: number;
  maxBatchBytes: number;
  maxBatchEvents: number;
  apiKeyCacheSeconds: number;
  rateLimitPerSecond: number;
  rateLimitBurst: number;
  idempotencyTtlHours: number;
  eventTtlDays: number;
  publishTimeoutMs: number;
  retryAfterSeconds: number;
  warehouse: 'bigquery' | 'duckdb';
  warehouseDuckDbPath: string;
  bigQueryProject: string;
  bigQueryLocation: string | undefined;
  warehouseBatchRows: number;
  warehouseMaxRowsPerRun: number;
  warehouseRunSeconds: number;
  metricsCacheSeconds: number;
  metricsRecomputeDays: number;
}>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Reads and validates the environment once; a bad variable is named in the error. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.')}: ${issue.message}`,
    );
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  return Object.freeze({
    projectId: e.GOOGLE_CLOUD_PROJECT,
    environment: e.TRIBUTARY_ENV,
    logLevel: e.LOG_LEVEL,
    pubsubEmulatorHost: e.PUBSUB_EMULATOR_HOST,
    firestoreEmulatorHost: e.FIRESTORE_EMULATOR_HOST,
    adminToken: e.ADMIN_TOKEN,
    maxEventBytes: e.MAX_EVENT_BYTES,
    maxBatchBytes: e.MAX_BATCH_BYTES,
    maxBatchEvents: e.MAX_BATCH_EVENTS,
    apiKeyCacheSeconds: e.API_KEY_CACHE_SECONDS,
    rateLimitPerSecond: e.RATE_LIMIT_PER_SECOND,
    rateLimitBurst: e.RATE_LIMIT_BURST,
    idempotencyTtlHours: e.IDEMPOTENCY_TTL_HOURS,
    eventTtlDays: e.EVENT_TTL_DAYS,
    publishTimeoutMs: e.PUBLISH_TIMEOUT_MS,
    retryAfterSeconds: e.RETRY_AFTER_SECONDS,
    warehouse: e.WAREHOUSE ?? (e.TRIBUTARY_ENV === 'production' ? 'bigquery' : 'duckdb'),
    warehouseDuckDbPath: e.WAREHOUSE_DUCKDB_PATH,
    bigQueryProject: e.BIGQUERY_PROJECT ?? e.GOOGLE_CLOUD_PROJECT,
    bigQueryLocation: e.BIGQUERY_LOCATION,
    warehouseBatchRows: e.WAREHOUSE_BATCH_ROWS,
    warehouseMaxRowsPerRun: e.WAREHOUSE_MAX_ROWS_PER_RUN,
    warehouseRunSeconds: e.WAREHOUSE_RUN_SECONDS,
    metricsCacheSeconds: e.METRICS_CACHE_SECONDS,
    metricsRecomputeDays: e.METRICS_RECOMPUTE_DAYS,
  });
}
