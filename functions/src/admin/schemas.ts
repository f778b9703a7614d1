import { visitorModes } from '../ingest/apiKeys.ts';
import { eventStatuses } from '../process/eventRecord.ts';
import { z } from 'zod';

/** Response shapes, for the OpenAPI document. */

const isoOrNull = z.string().nullable();

export const violationSchema = z.object({
  eventType: z.string(),
  version: z
    .number()
    .int()
    .nullable()
    .describe("The schema's version; null for an unplanned type."),
  instancePath: z.string().describe('JSON pointer into the event as sent, like /payload/amount.'),
  keyword: z.string().describe('The JSON Schema rule broken (Ajv keyword), or `unplanned`.'),
  message: z.string(),
});

export const historyEntrySchema = z.object({
  at: z.string(),
  status: z.enum(eventStatuses),
  attempts: z.number().int(),
  replay: z.number().int(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
});

export const eventStatusSchema = z.object({
  eventId: z.string(),
  status: z.enum(eventStatuses),
  eventType: z.string().nullable(),
  source: z.string().nullable(),
  producer: z.string().nullable(),
  idempotencyKey: z.string().nullable().describe('The idempotency key the producer sent, if any.'),
  attempts: z.number().int(),
  replays: z.number().int(),
  receivedAt: isoOrNull,
  occurredAt: isoOrNull,
  processedAt: isoOrNull,
  failedAt: isoOrNull,
  deadLetteredAt: isoOrNull,
  queuedAt: isoOrNull,
  lastError: z.object({ code: z.string(), message: z.string(), at: isoOrNull }).nullable(),
  violations: z
    .array(violationSchema)
    .describe('How the event broke the tracking plan when last checked (empty when it did not).'),
  processingLatencyMs: z.number().nullable(),
  history: z.array(historyEntrySchema),
});

export const eventDetailSchema = eventStatusSchema.extend({
  event: z
    .record(z.string(), z.unknown())
    .nullable()
    .describe('The stored event, while it is unprocessed.'),
  rawMessage: z.string().nullable().describe('A message that never parsed as an event.'),
});

export const eventPageSchema = z.object({
  items: z.array(eventStatusSchema),
  nextCursor: z.string().nullable(),
});

export const deadLetterPageSchema = eventPageSchema.extend({ count: z.number().int() });

export const apiKeySummarySchema = z.object({
  keyId: z.string(),
  name: z.string(),
  prefix: z.string(),
  createdAt: isoOrNull,
  revokedAt: isoOrNull,
  revoked: z.boolean(),
  rateLimitPerSecond: z.number().nullable(),
  siteId: z.string().nullable().describe("The site of this key's events when they name none."),
  browser: z.boolean().describe('A browser key: public, tracking calls from its origins only.'),
  allowedOrigins: z
    .array(z.string())
    .nullable()
    .describe("A browser key's origins; null for a server key."),
  visitors: z
    .enum(visitorModes)
    .nullable()
    .describe(
      'How a browser key counts visitors: stored (the page keeps an anonymous id) or cookieless (ingest derives a daily id; nothing kept in the browser); null for a server key.',
    ),
});

export const createdApiKeySchema = apiKeySummarySchema.extend({
  key: z.string().describe('The key itself: shown this once, never again.'),
  ingestUrl: z
    .string()
    .nullable()
    .describe('Where producers send events with the key (INGEST_URL); null when not configured.'),
});

export const replayResultSchema = z.object({
  eventId: z.string(),
  status: z.literal('QUEUED'),
  replay: z.number().int(),
});

export const replayJobSchema = z.object({
  replayId: z.string(),
  status: z.enum(['running', 'completed']),
  filter: z.record(z.string(), z.unknown()),
  matched: z.number().int(),
  replayed: z.number().int(),
  skipped: z.number().int(),
  failed: z.number().int(),
  remaining: z.number().int(),
  pages: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  finishedAt: isoOrNull,
});

export const dryRunSchema = z.object({
  dryRun: z.literal(true),
  count: z.number().int(),
  filter: z.record(z.string(), z.unknown()),
});

export const readinessSchema = z.object({
  status: z.enum(['ready', 'unavailable']),
  checks: z.array(
    z.object({
      name: z.string(),
      status: z.enum(['up', 'down']),
      latencyMs: z.number(),
      error: z.string().optional(),
    }),
  ),
});

export const metricsSummarySchema = z.object({
  generatedAt: z.string(),
  byStatus: z.record(z.string(), z.number().int()),
  byType: z.object({
    types: z.array(z.object({ eventType: z.string(), count: z.number().int() })),
    truncated: z.boolean(),
  }),
  throughput: z.object({
    unit: z.string(),
    hours: z.array(z.object({ hour: z.string(), processed: z.number().int() })),
  }),
  latency: z.object({
    sampleSize: z.number().int(),
    meanMs: z.number().nullable(),
    p50Ms: z.number().nullable(),
    p90Ms: z.number().nullable(),
    p99Ms: z.number().nullable(),
    maxMs: z.number().nullable(),
    measures: z.string(),
    sample: z.string(),
  }),
  backlog: z.object({
    subscription: z.string(),
    messages: z.number().int().nullable(),
    reason: z.string().optional(),
  }),
});
