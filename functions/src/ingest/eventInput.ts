import { z } from 'zod';
import { eventTypePattern, eventTypeRule, type EventEnvelope } from '../lib/eventEnvelope.ts';
import type { FieldError } from '../lib/http.ts';

/** Deeper documents are refused: nothing legitimate needs them, and they are a cheap attack. */
export const maxJsonDepth = 32;

const jsonObject = z.record(z.string(), z.unknown());

/** One event as a producer sends it. Unknown fields are refused so typos are caught. */
export const eventInputSchema = z.strictObject({
  eventType: z.string().min(1).max(100).regex(eventTypePattern, eventTypeRule),
  payload: jsonObject,
  occurredAt: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' }).optional(),
  metadata: jsonObject.optional(),
  siteId: z.string().min(1).max(200).optional(),
  userId: z.string().min(1).max(200).optional(),
  path: z.string().min(1).max(2048).startsWith('/', 'must start with /').optional(),
});

export type EventInput = z.infer<typeof eventInputSchema>;

/** In a batch, each item may carry its own idempotency key. */
export const batchItemSchema = eventInputSchema.extend({
  idempotencyKey: z.string().min(1).max(255).optional(),
});

export type BatchItem = z.infer<typeof batchItemSchema>;

export type Validated<T> =
  { ok: true; value: T } | { ok: false; errors: FieldError[]; tooLarge: boolean };

/** Validates one event: shape, nesting depth, and serialized size. */
export function validateEventInput<T extends EventInput>(
  raw: unknown,
  schema: z.ZodType<T>,
  maxEventBytes: number,
): Validated<T> {
  if (exceedsDepth(raw, maxJsonDepth)) {
    return {
      ok: false,
      tooLarge: false,
      errors: [{ field: '(root)', message: `nested deeper than ${maxJsonDepth} levels` }],
    };
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) return { ok: false, tooLarge: false, errors: fieldErrors(parsed.error) };
  const size = Buffer.byteLength(JSON.stringify(parsed.data));
  if (size > maxEventBytes) {
    return {
      ok: false,
      tooLarge: true,
      errors: [
        {
          field: '(root)',
          message: `event is ${size} bytes; at most ${maxEventBytes} are accepted`,
        },
      ],
    };
  }
  return { ok: true, value: parsed.data };
}

export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.slice(0, 20).map((issue) => ({
    field: issue.path.length > 0 ? issue.path.join('.') : '(root)',
    message:
      issue.code === 'unrecognized_keys'
        ? `unknown field(s): ${issue.keys.join(', ')}`
        : issue.message,
  }));
}

/** Walks the value without recursion, so hostile nesting cannot overflow the stack. */
export function exceedsDepth(value: unknown, maxDepth: number): boolean {
  const stack: Array<{ node: unknown; depth: number }> = [{ node: value, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= maxDepth) return true;
    for (const child of Object.values(node)) stack.push({ node: child, depth: depth + 1 });
  }
  return false;
}

export function toEnvelope(
  input: EventInput,
  identity: {
    eventId: string;
    receivedAt: string;
    producer: string;
    source: string;
    idempotencyKey?: string | undefined;
  },
): EventEnvelope {
  return {
    eventId: identity.eventId,
    eventType: input.eventType,
    payload: input.payload,
    occurredAt: input.occurredAt ? new Date(input.occurredAt).toISOString() : identity.receivedAt,
    receivedAt: identity.receivedAt,
    source: identity.source,
    producer: identity.producer,
    ...(input.metadata ? { metadata: input.metadata } : {}),
    ...(input.siteId ? { siteId: input.siteId } : {}),
    ...(input.userId ? { userId: input.userId } : {}),
    ...(input.path ? { path: input.path } : {}),
    ...(identity.idempotencyKey ? { idempotencyKey: identity.idempotencyKey } : {}),
  };
}

/** Same event ⇔ same fingerprint, whatever the key order or whitespace of the request. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
