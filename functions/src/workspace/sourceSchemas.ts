import { z } from 'zod';
import { workspaceApplications } from './source.ts';

/** Response shapes of the source routes, for the OpenAPI document. */

const isoOrNull = z.string().nullable();

export const sourceSchema = z.object({
  id: z.string(),
  sourceType: z.literal('google_workspace'),
  name: z.string().nullable(),
  applications: z.array(z.enum(workspaceApplications)),
  lagSeconds: z
    .record(z.string(), z.number().int())
    .describe('Per application, defaults filled in.'),
  logFetchInterval: z.number().int().describe('Seconds between polls, as set.'),
  effectiveFetchIntervalSeconds: z
    .number()
    .int()
    .describe('How often the source is polled: the interval rounded up to whole minutes.'),
  callbackUrl: z.string().nullable(),
  webhookEndpointId: z.string().nullable(),
  credentials: z
    .object({ type: z.enum(['oauth', 'service_account']), set: z.boolean() })
    .describe('Only whether credentials are set; never the credentials.'),
  status: z.enum(['active', 'backing_off', 'credentials_invalid', 'paused']),
  statusReason: z.string().nullable(),
  nextPollAt: isoOrNull,
  lastPolledAt: isoOrNull,
  lastSuccessAt: isoOrNull.describe('When a window was last completed.'),
  lastError: z.object({ code: z.string(), message: z.string(), at: isoOrNull }).nullable(),
  eventsFetched: z.number().int(),
  gap: z.boolean().describe('Whether a window could not be completed (an exhausted fetch).'),
  gaps: z.array(
    z.object({
      application: z.string(),
      start: isoOrNull,
      end: isoOrNull,
      at: isoOrNull,
      reason: z.string(),
    }),
  ),
  cursors: z.record(
    z.string(),
    z.object({
      cursor: isoOrNull.describe('Every activity before this time has been fetched.'),
      window: z.object({ start: isoOrNull, end: isoOrNull }).nullable(),
      pagesInWindow: z.number().int(),
      lastCompletedAt: isoOrNull,
      eventsFetched: z.number().int(),
    }),
  ),
  startAt: isoOrNull,
  createdAt: isoOrNull,
  updatedAt: isoOrNull,
});

export const sourceWithSecretSchema = sourceSchema.extend({
  webhookSecret: z
    .string()
    .optional()
    .describe('The signing secret of the forwarding endpoint, shown once when it is created.'),
});

export const sourceListSchema = z.object({ sources: z.array(sourceSchema) });

export const pollAcceptedSchema = z.object({
  sourceId: z.string(),
  applications: z.array(z.string()),
});
