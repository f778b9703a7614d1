/**
 * The tracking plan the bench enforces and the events it sends under it: 50 types, each
 * a payload schema of 4–8 typed properties (half of them required, at least one with a
 * `format`, no others allowed), some types requiring envelope fields; and batches of
 * events of those types that pass their schemas, but for a small share that breaks them
 * in one of four ways. Deterministic but for the ids, so every run sends the same shapes.
 */
import { randomUUID } from 'node:crypto';
import type { EnvelopeField, JsonSchema, PlanFile } from '../../functions/src/plan/trackingPlan.ts';

type Property = {
  name: string;
  schema: JsonSchema;
  /** A value that passes the schema, for the n-th event. */
  value: (n: number) => unknown;
};

const started = Date.parse('2026-01-01T00:00:00.000Z');

/** Formats sit every third place, so any four properties in a row hold at least one. */
const properties: Property[] = [
  { name: 'id', schema: { type: 'string', format: 'uuid' }, value: () => randomUUID() },
  { name: 'amount', schema: { type: 'number', minimum: 0 }, value: (n) => (n % 500) + 0.99 },
  {
    name: 'currency',
    schema: { type: 'string', enum: ['USD', 'EUR', 'GBP'] },
    value: (n) => ['USD', 'EUR', 'GBP'][n % 3],
  },
  {
    name: 'email',
    schema: { type: 'string', format: 'email', maxLength: 254 },
    value: (n) => `user${n % 1000}@bench.example`,
  },
  {
    name: 'quantity',
    schema: { type: 'integer', minimum: 1, maximum: 100 },
    value: (n) => (n % 100) + 1,
  },
  {
    name: 'title',
    schema: { type: 'string', minLength: 1, maxLength: 200 },
    value: (n) => `Item ${n % 300}`,
  },
  {
    name: 'url',
    schema: { type: 'string', format: 'uri' },
    value: (n) => `https://bench.example/items/${n % 300}?ref=search`,
  },
  {
    name: 'tags',
    schema: { type: 'array', items: { type: 'string', maxLength: 30 }, maxItems: 10 },
    value: (n) => ['sale', 'new', 'bench'].slice(0, (n % 3) + 1),
  },
  { name: 'position', schema: { type: 'integer', minimum: 0 }, value: (n) => n % 20 },
  {
    name: 'at',
    schema: { type: 'string', format: 'date-time' },
    value: (n) => new Date(started + n * 1000).toISOString(),
  },
  {
    name: 'sku',
    schema: { type: 'string', pattern: '^[A-Z]{3}-[0-9]{4}$' },
    value: (n) => `SKU-${String(n % 10_000).padStart(4, '0')}`,
  },
  { name: 'subscribed', schema: { type: 'boolean' }, value: (n) => n % 2 === 0 },
];

const objects = [
  'product',
  'cart',
  'checkout',
  'order',
  'account',
  'search',
  'video',
  'newsletter',
  'coupon',
  'review',
];
const actions = ['viewed', 'started', 'updated', 'completed', 'removed'];

export type PlannedType = {
  eventType: string;
  properties: Property[];
  required: string[];
  requiredFields: EnvelopeField[];
};

/** `count` types (at most 50): `product.viewed`, `product.started`, …, `review.removed`. */
export function plannedTypes(count: number): PlannedType[] {
  return Array.from({ length: count }, (_type, t) => {
    const own = Array.from(
      { length: 4 + (t % 5) },
      (_property, k) => properties[(t * 5 + k) % properties.length]!,
    );
    return {
      eventType: `${objects[Math.floor(t / actions.length) % objects.length]}.${actions[t % actions.length]}`,
      properties: own,
      required: own.slice(0, Math.ceil(own.length / 2)).map((property) => property.name),
      requiredFields: ([['userId'], ['userId', 'siteId'], []] satisfies EnvelopeField[][])[t % 3]!,
    };
  });
}

/** The plan file of these types, under the given settings. */
export function planFile(types: PlannedType[], settings: PlanFile['settings']): PlanFile {
  return {
    settings,
    types: types.map((type) => ({
      eventType: type.eventType,
      schema: {
        type: 'object',
        properties: Object.fromEntries(type.properties.map((p) => [p.name, p.schema])),
        required: type.required,
        additionalProperties: false,
      },
      ...(type.requiredFields.length > 0 ? { requiredFields: type.requiredFields } : {}),
    })),
  };
}

/** No plan: no types, and every event allowed, as a pipeline without one. */
export const noPlan: PlanFile = {
  settings: { unplanned: 'allow', violations: 'allow' },
  types: [],
};

export type BenchEvent = {
  eventType: string;
  payload: Record<string, unknown>;
  siteId: string;
  userId: string;
  path: string;
};

/** The ways an event here breaks its schema, in turn. */
export const violationKinds = [
  'a required property missing',
  'a property the schema does not name',
  'a property breaking its format',
  'a property of the wrong type',
] as const;

/** The n-th event: of type n mod the types, passing its schema unless `violation` says how not to. */
export function benchEvent(
  types: PlannedType[],
  n: number,
  violation?: (typeof violationKinds)[number],
): BenchEvent {
  const type = types[n % types.length]!;
  const payload: Record<string, unknown> = Object.fromEntries(
    type.properties.map((property) => [property.name, property.value(n)]),
  );
  if (violation === 'a required property missing') delete payload[type.required[0]!];
  if (violation === 'a property the schema does not name') payload.unexpected = true;
  if (violation === 'a property breaking its format') {
    const formatted = type.properties.find((property) => 'format' in property.schema)!;
    payload[formatted.name] = 'not-a-valid-value';
  }
  if (violation === 'a property of the wrong type') payload[type.properties[0]!.name] = { n };
  return {
    eventType: type.eventType,
    payload,
    siteId: 'bench',
    userId: `u-${n % 1000}`,
    path: '/checkout',
  };
}

/**
 * `count` bodies of `size` events for `POST /v1/events/batch`, the types in turn; one event
 * in every `violatingEvery` breaks its schema (a different type each time, the four kinds
 * in turn), none when `violatingEvery` is 0.
 */
export function batchBodies(
  types: PlannedType[],
  options: { count: number; size: number; violatingEvery: number },
): { bodies: string[]; violating: number; events: number } {
  let violating = 0;
  const bodies = Array.from({ length: options.count }, (_body, b) => {
    const events = Array.from({ length: options.size }, (_event, i) => {
      const n = b * options.size + i;
      const every = options.violatingEvery;
      const block = every > 0 ? Math.floor(n / every) : 0;
      const breaks = every > 0 && n % every === block % every;
      if (breaks) violating += 1;
      return benchEvent(
        types,
        n,
        breaks ? violationKinds[block % violationKinds.length] : undefined,
      );
    });
    return JSON.stringify({ events });
  });
  return { bodies, violating, events: options.count * options.size };
}

/** A type no plan names: quarantined under the bench's plan, processed without one. */
export const unplannedType = 'bench.unplanned';
