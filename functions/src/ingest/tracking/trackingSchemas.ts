import { z } from 'zod';
import { trackingCallTypes } from './trackingMessageToEvent.ts';

/** The tracking API's request and answer shapes, for validation and the OpenAPI document. */

export /** The tracking API's own limits (not tunables: the SDKs are built around them). */
const trackingLimits = {
  /** One call, and each message of a batch. */
  maxMessageBytes: 32 * 1024,
  /** One `POST /v1/batch` body. */
  maxBatchBytes: 500 * 1024,
  /** A beacon: browsers send at most 64 KB through `sendBeacon` or `keepalive`. */
  maxBeaconBytes: 64 * 1024,
} as const;

export const iso = 'ISO 8601 date-time with a time zone';
export const messageSchema = z
  .object({
    type: z.enum(trackingCallTypes).optional().describe('required in a batch; a route names it'),
    messageId: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .describe('the same messageId (per key) is the same event'),
    userId: z.string().optional().describe('this, or anonymousId, is required'),
    anonymousId: z.string().optional(),
    event: z.string().optional().describe('track: the event name, required'),
    name: z.string().optional(),
    properties: z.record(z.string(), z.unknown()).optional(),
    traits: z.record(z.string(), z.unknown()).optional(),
    context: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('context.page.url and .path give the site and path'),
    groupId: z.string().optional().describe('group: required'),
    previousId: z.string().optional().describe('alias: required'),
    timestamp: z.string().optional().describe(iso),
    originalTimestamp: z.string().optional().describe(`${iso}; used without timestamp`),
    sentAt: z.string().optional().describe(`${iso}; corrects the sender's clock`),
  })
  .loose();

export const batchSchema = z.object({
  batch: z.array(messageSchema.extend({ type: z.enum(trackingCallTypes) })).min(1),
  sentAt: z.string().optional().describe(`${iso}; for messages without their own`),
});

export const successSchema = z.object({ success: z.literal(true) });
export const batchSuccessSchema = successSchema.extend({
  accepted: z.number().int(),
  rejected: z.number().int(),
  errors: z
    .array(
      z.object({
        index: z.number().int(),
        messageId: z.string().optional(),
        fields: z.array(z.object({ field: z.string(), message: z.string() })),
      }),
    )
    .optional(),
});
export const trackingErrorSchema = z.object({
  success: z.literal(false),
  message: z.string(),
  error: z.object({
    code: z.string(),
    message: z.string(),
    fields: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  }),
});

export const authNote =
  'The API key is the write key: HTTP Basic with the key as user name and an empty password, as the analytics SDKs send it, Authorization: Bearer, `?writeKey=` or a `writeKey` field of the body (the same key wherever it is given). Bodies are JSON whatever their media type (text/plain included), plain or gzip, deflate or br. A browser key works from its allowed origins only.';

export const errorResponses = {
  400: {
    description: `Not a valid message, or over ${trackingLimits.maxMessageBytes} bytes a call / ${trackingLimits.maxBatchBytes} a batch.`,
    schema: trackingErrorSchema,
  },
  429: {
    description: "Over the key's rate limit; wait Retry-After seconds.",
    schema: trackingErrorSchema,
  },
  503: { description: 'Not queued; send the same messages again.', schema: trackingErrorSchema },
};
