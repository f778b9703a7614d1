import { z } from 'zod';
import { defaults } from './defaults.ts';
import { decodeKey, parseKeyList, type EncryptionKey } from './encryption.ts';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** A text that a parser accepts; its error message becomes the issue's message. */
const parsedBy = (parse: (text: string) => unknown) =>
  z.string().superRefine((text, context) => {
    try {
      parse(text);
    } catch (error) {
      context.addIssue({ code: 'custom', message: (error as Error).message });
    }
  });

const booleanText = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(fallback ? 'true' : 'false')
    .transform((text) => text === 'true' || text === '1');

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
  MESSAGE_MAX_EVENTS: z.coerce.number().int().min(1).max(500).default(defaults.messageMaxEvents),
  MESSAGE_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(defaults.maxEventBytes)
    .max(7_000_000)
    .default(defaults.messageMaxBytes),
  API_KEY_CACHE_SECONDS: positiveInt(defaults.apiKeyCacheSeconds),
  RATE_LIMIT_PER_SECOND: positiveInt(defaults.rateLimitPerSecond),
  RATE_LIMIT_BURST: positiveInt(defaults.rateLimitBurst),
  BROWSER_RATE_LIMIT_PER_SECOND: positiveInt(defaults.browserRateLimitPerSecond),
  BROWSER_RATE_LIMIT_BURST: positiveInt(defaults.browserRateLimitBurst),
  IDEMPOTENCY_TTL_HOURS: positiveInt(defaults.idempotencyTtlHours),
  EVENT_TTL_DAYS: positiveInt(defaults.eventTtlDays),
  PUBLISH_TIMEOUT_MS: positiveInt(defaults.publishTimeoutMs),
  GROUP_COMMIT_MAX_WAIT_MS: positiveInt(defaults.groupCommitMaxWaitMs),
  RETRY_AFTER_SECONDS: positiveInt(defaults.retryAfterSeconds),
  /** AES-256 key (base64, 32 bytes) sealing secrets at rest. Required by the functions that keep secrets. */
  ENCRYPTION_KEY: parsedBy(decodeKey).optional(),
  ENCRYPTION_KEY_ID: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,32}$/, 'must be 1-32 letters, digits, _ or -')
    .default(defaults.encryptionKeyId),
  /** Earlier keys, `id:base64,…`, still accepted for decryption after a rotation. */
  ENCRYPTION_PREVIOUS_KEYS: parsedBy(parseKeyList).optional(),
  /** Local development only: lets webhook endpoints point at loopback addresses. */
  WEBHOOK_ALLOW_LOOPBACK: booleanText(false),
  WEBHOOK_TIMEOUT_MS: positiveInt(defaults.webhookTimeoutMs),
  WEBHOOK_DISABLE_AFTER_FAILURES: positiveInt(defaults.webhookDisableAfterFailures),
  WEBHOOK_ENDPOINT_CACHE_SECONDS: positiveInt(defaults.webhookEndpointCacheSeconds),
  TRACKING_PLAN_CACHE_SECONDS: positiveInt(defaults.trackingPlanCacheSeconds),
  /** Key (base64, 32 bytes) of the subject hashes; never rotated. Required in production. */
  SUBJECT_HASH_KEY: parsedBy(decodeKey).optional(),
  PRIVACY_LIST_CACHE_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(defaults.privacyListMaxStalenessSeconds / 2)
    .default(defaults.privacyListCacheSeconds),
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
  UPLOAD_MAX_BYTES: positiveInt(defaults.uploadMaxBytes),
  UPLOAD_MAX_ROWS: positiveInt(defaults.uploadMaxRows),
  UPLOADS_PER_MINUTE_PER_KEY: positiveInt(defaults.uploadsPerMinutePerKey),
  UPLOADS_PER_MINUTE_PER_IP: positiveInt(defaults.uploadsPerMinutePerIp),
  REPLAY_PAGE_SIZE: z.coerce.number().int().min(1).max(500).default(defaults.replayPageSize),
  REPLAY_BUDGET_MS: positiveInt(defaults.replayBudgetMs),
  /** Root of the Admin SDK Reports API; a local server in tests and local development. */
  WORKSPACE_API_ROOT_URL: z.url({ protocol: /^https?$/ }).default(defaults.workspaceApiRootUrl),
  /** OAuth 2.0 token endpoint used to obtain access tokens for Workspace sources. */
  WORKSPACE_TOKEN_URL: z.url({ protocol: /^https?$/ }).default(defaults.workspaceTokenUrl),
  /** The ingest function's URL, which the api function gives with a new API key. */
  INGEST_URL: z.url({ protocol: /^https?$/ }).optional(),
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
  /** Most events and bytes of one message of many events. */
  messageLimits: { maxEvents: number; maxBytes: number };
  apiKeyCacheSeconds: number;
  rateLimitPerSecond: number;
  rateLimitBurst: number;
  browserRateLimitPerSecond: number;
  browserRateLimitBurst: number;
  idempotencyTtlHours: number;
  eventTtlDays: number;
  publishTimeoutMs: number;
  /** The longest an event waits to share a message with others (group commit). */
  groupCommitMaxWaitMs: number;
  retryAfterSeconds: number;
  /** Undefined when no ENCRYPTION_KEY is configured. */
  encryptionKeys: { current: EncryptionKey; previous: EncryptionKey[] } | undefined;
  webhookAllowLoopback: boolean;
  webhookTimeoutMs: number;
  webhookDisableAfterFailures: number;
  webhookEndpointCacheSeconds: number;
  trackingPlanCacheSeconds: number;
  /** Undefined when SUBJECT_HASH_KEY is not set (outside production). */
  subjectHashKey: Buffer | undefined;
  /** How long an instance holds the suppression list and tombstones before reading them again. */
  privacyListCacheSeconds: number;
  warehouse: 'bigquery' | 'duckdb';
  warehouseDuckDbPath: string;
  bigQueryProject: string;
  bigQueryLocation: string | undefined;
  warehouseBatchRows: number;
  warehouseMaxRowsPerRun: number;
  warehouseRunSeconds: number;
  metricsCacheSeconds: number;
  metricsRecomputeDays: number;
  uploadMaxBytes: number;
  uploadMaxRows: number;
  uploadsPerMinutePerKey: number;
  uploadsPerMinutePerIp: number;
  replayPageSize: number;
  replayBudgetMs: number;
  workspaceApiRootUrl: string;
  workspaceTokenUrl: string;
  /** Without a trailing slash; undefined when not configured. */
  ingestUrl: string | undefined;
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
  if (e.WEBHOOK_ALLOW_LOOPBACK && e.TRIBUTARY_ENV === 'production') {
    throw new ConfigError(
      'Invalid configuration: WEBHOOK_ALLOW_LOOPBACK: must not be set in production',
    );
  }
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
    messageLimits: { maxEvents: e.MESSAGE_MAX_EVENTS, maxBytes: e.MESSAGE_MAX_BYTES },
    apiKeyCacheSeconds: e.API_KEY_CACHE_SECONDS,
    rateLimitPerSecond: e.RATE_LIMIT_PER_SECOND,
    rateLimitBurst: e.RATE_LIMIT_BURST,
    browserRateLimitPerSecond: e.BROWSER_RATE_LIMIT_PER_SECOND,
    browserRateLimitBurst: e.BROWSER_RATE_LIMIT_BURST,
    idempotencyTtlHours: e.IDEMPOTENCY_TTL_HOURS,
    eventTtlDays: e.EVENT_TTL_DAYS,
    publishTimeoutMs: e.PUBLISH_TIMEOUT_MS,
    groupCommitMaxWaitMs: e.GROUP_COMMIT_MAX_WAIT_MS,
    retryAfterSeconds: e.RETRY_AFTER_SECONDS,
    encryptionKeys: e.ENCRYPTION_KEY
      ? {
          current: { id: e.ENCRYPTION_KEY_ID, key: decodeKey(e.ENCRYPTION_KEY) },
          previous: e.ENCRYPTION_PREVIOUS_KEYS ? parseKeyList(e.ENCRYPTION_PREVIOUS_KEYS) : [],
        }
      : undefined,
    webhookAllowLoopback: e.WEBHOOK_ALLOW_LOOPBACK,
    webhookTimeoutMs: e.WEBHOOK_TIMEOUT_MS,
    webhookDisableAfterFailures: e.WEBHOOK_DISABLE_AFTER_FAILURES,
    webhookEndpointCacheSeconds: e.WEBHOOK_ENDPOINT_CACHE_SECONDS,
    trackingPlanCacheSeconds: e.TRACKING_PLAN_CACHE_SECONDS,
    subjectHashKey: e.SUBJECT_HASH_KEY ? decodeKey(e.SUBJECT_HASH_KEY) : undefined,
    privacyListCacheSeconds: e.PRIVACY_LIST_CACHE_SECONDS,
    warehouse: e.WAREHOUSE ?? (e.TRIBUTARY_ENV === 'production' ? 'bigquery' : 'duckdb'),
    warehouseDuckDbPath: e.WAREHOUSE_DUCKDB_PATH,
    bigQueryProject: e.BIGQUERY_PROJECT ?? e.GOOGLE_CLOUD_PROJECT,
    bigQueryLocation: e.BIGQUERY_LOCATION,
    warehouseBatchRows: e.WAREHOUSE_BATCH_ROWS,
    warehouseMaxRowsPerRun: e.WAREHOUSE_MAX_ROWS_PER_RUN,
    warehouseRunSeconds: e.WAREHOUSE_RUN_SECONDS,
    metricsCacheSeconds: e.METRICS_CACHE_SECONDS,
    metricsRecomputeDays: e.METRICS_RECOMPUTE_DAYS,
    uploadMaxBytes: e.UPLOAD_MAX_BYTES,
    uploadMaxRows: e.UPLOAD_MAX_ROWS,
    uploadsPerMinutePerKey: e.UPLOADS_PER_MINUTE_PER_KEY,
    uploadsPerMinutePerIp: e.UPLOADS_PER_MINUTE_PER_IP,
    replayPageSize: e.REPLAY_PAGE_SIZE,
    replayBudgetMs: e.REPLAY_BUDGET_MS,
    // googleapis joins paths to the root as is: it must end with a slash.
    workspaceApiRootUrl: e.WORKSPACE_API_ROOT_URL.endsWith('/')
      ? e.WORKSPACE_API_ROOT_URL
      : `${e.WORKSPACE_API_ROOT_URL}/`,
    workspaceTokenUrl: e.WORKSPACE_TOKEN_URL,
    ingestUrl: e.INGEST_URL?.replace(/\/+$/, ''),
  });
}
