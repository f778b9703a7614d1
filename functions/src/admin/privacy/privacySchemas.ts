import { z } from 'zod';
import {
  erasureStores,
  regulationStatuses,
  regulationTypes,
} from '../../regulations/regulation.ts';
import { subjectKinds } from '../../privacy/subjects.ts';

/** The privacy routes' shapes, for the OpenAPI document. */

export const tag = 'Privacy';

export const receiptSchema = z.object({
  store: z.enum([...erasureStores, 'suppressionList', 'receivers']),
  searched: z.string().describe('Where the sweep looked, and by what.'),
  removed: z.number().int().describe('Records, rows or row errors removed.'),
  at: z.string(),
  error: z.string().nullable().describe('Why this store could not be swept; null when it was.'),
});

export const regulationSchema = z.object({
  regulationId: z.string(),
  type: z.enum(regulationTypes),
  subjectKind: z.enum(subjectKinds),
  subjectCount: z.number().int(),
  status: z.enum(regulationStatuses),
  createdAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().nullable(),
  listedAt: z
    .string()
    .nullable()
    .describe(
      'When the subjects reached the suppression list and tombstones every instance reads.',
    ),
  attempts: z.number().int(),
  receipts: z.array(receiptSchema),
  error: z.string().nullable(),
});

export const privacySummarySchema = z.object({
  day: z.string(),
  suppressedEvents: z
    .number()
    .int()
    .describe('Events of suppressed subjects answered as accepted and dropped that day (UTC).'),
  suppressedSubjects: z.number().int().describe('Subjects suppressed now.'),
  staleSeconds: z
    .number()
    .int()
    .describe('At most how long an instance may go on with a list older than the newest.'),
});

export const dayQuerySchema = z.strictObject({
  day: z.iso.date().optional().describe('A UTC day, YYYY-MM-DD; today by default.'),
});
