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
  UPLOAD_MAX_BYTES: positiveInt(defaults.uploadMaxBytes),
  UPLOAD_MAX_ROWS: positiveInt(defaults.uploadMaxRows),
  UPLOADS_PER_MINUTE_PER_KEY: positiveInt(defaults.uploadsPerMinutePerKey),
  UPLOADS_PER_MINUTE_PER_IP: positiveInt(defaults.uploadsPerMinutePerIp),
  REPLAY_PAGE_SIZE: z.coerce.number().int().min(1).max(500).default(defaults.replayPageSize),
  REPLAY_BUDGET_MS: positiveInt(defaults.replayBudgetMs),
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
  uploadMaxBytes: number;
  uploadMaxRows: number;
  uploadsPerMinutePerKey: number;
  uploadsPerMinutePerIp: number;
  replayPageSize: number;
  replayBudgetMs: number;
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
    uploadMaxBytes: e.UPLOAD_MAX_BYTES,
    uploadMaxRows: e.UPLOAD_MAX_ROWS,
    uploadsPerMinutePerKey: e.UPLOADS_PER_MINUTE_PER_KEY,
    uploadsPerMinutePerIp: e.UPLOADS_PER_MINUTE_PER_IP,
    replayPageSize: e.REPLAY_PAGE_SIZE,
    replayBudgetMs: e.REPLAY_BUDGET_MS,
  });
}
