import { z } from 'zod';
import { violationSchema } from '../schemas.ts';
import { eventTypeSchema, settingsSchema } from '../../plan/trackingPlan.ts';

/** The tracking plan routes' shapes, for parsing and for the OpenAPI document. */

export const base = '/v1/admin/tracking-plan';
export const tag = 'Tracking plan';

export const versionSchema = z.object({
  eventType: z.string(),
  version: z.number().int(),
  schema: z.record(z.string(), z.unknown()),
  requiredFields: z.array(z.string()),
  description: z.string().nullable(),
  publishedAt: z.string(),
});

export const typeSchema = z.object({
  eventType: z.string(),
  current: versionSchema.nullable().describe('The version enforced now; null once retired.'),
  draft: z
    .object({
      schema: z.record(z.string(), z.unknown()),
      requiredFields: z.array(z.string()),
      description: z.string().nullable(),
      updatedAt: z.string(),
    })
    .nullable(),
  latestVersion: z.number().int(),
});

export const planSchema = z.object({
  revision: z.number().int().describe('Grows with every publish and change of settings.'),
  settings: settingsSchema,
  types: z.array(typeSchema),
});

export const replaySchema = z.object({
  replayId: z.string(),
  status: z.enum(['running', 'completed']),
  filter: z.object({
    type: z.string().nullable(),
    from: z.string().nullable(),
    to: z.string().nullable(),
  }),
  planRevision: z.number().int(),
  matched: z.number().int(),
  replayed: z.number().int(),
  stillFailing: z.number().int(),
  skipped: z.number().int(),
  failed: z.number().int(),
  remaining: z.number().int(),
  steps: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().nullable(),
});

export const isoDate = z.iso
  .datetime({ offset: true, message: 'must be an ISO 8601 date-time' })
  .transform((value) => new Date(value));

export const replayInputSchema = z.strictObject({
  type: eventTypeSchema.optional().describe('Only quarantined events of this type.'),
  from: isoDate.optional().describe('Quarantined at or after this time.'),
  to: isoDate.optional().describe('Quarantined before this time.'),
});

export const violationsQuerySchema = z.strictObject({
  day: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a UTC day, like 2026-01-02')
    .optional()
    .describe('The UTC day; today by default.'),
  examples: z.coerce
    .number()
    .int()
    .min(0)
    .max(10)
    .default(3)
    .describe('Example events per type, 0–10.'),
});

export const violationsSchema = z.object({
  day: z.string(),
  total: z.number().int(),
  types: z.array(
    z.object({
      eventType: z.string(),
      count: z.number().int(),
      examples: z.array(
        z.object({ eventId: z.string(), status: z.string(), violations: z.array(violationSchema) }),
      ),
    }),
  ),
});
