import { z } from 'zod';
import { eventTypePattern, eventTypeRule } from '../lib/eventEnvelope.ts';

/**
 * A tracking plan: per event type, a JSON Schema (2020-12) for the payload and the
 * envelope fields the type requires, in immutable numbered versions; and what happens
 * to events of types the plan does not name and to events that break their schema.
 */

export const enforcements = ['allow', 'quarantine', 'block'] as const;

/**
 * `allow`: the event goes on, its violations recorded with it. `quarantine`: kept with
 * its violations, not loaded, delivered or counted until a replay lets it through.
 * `block`: refused with 400 where the producer sees the answer; quarantined elsewhere.
 */
export type Enforcement = (typeof enforcements)[number];

export type PlanSettings = { unplanned: Enforcement; violations: Enforcement };

/** With no plan at all every event goes on: the behaviour of a pipeline without one. */
export const defaultSettings: PlanSettings = { unplanned: 'allow', violations: 'allow' };

/** Envelope fields a type may require besides its payload. */
export const envelopeFields = ['userId', 'siteId', 'path', 'metadata'] as const;

export type EnvelopeField = (typeof envelopeFields)[number];

/** A JSON Schema document, as stored and as compiled. */
export type JsonSchema = Record<string, unknown>;

/** One published version of one type: never changed once published. */
export type TypeVersion = {
  eventType: string;
  version: number;
  schema: JsonSchema;
  requiredFields: EnvelopeField[];
  description: string | null;
  publishedAt: Date;
};

/** A type's draft: what the next published version will be. */
export type TypeDraft = {
  schema: JsonSchema;
  requiredFields: EnvelopeField[];
  description: string | null;
  updatedAt: Date;
};

/** One type as operators see it: its current version, its draft, how many versions it has. */
export type PlanType = {
  eventType: string;
  current: TypeVersion | null;
  draft: TypeDraft | null;
  latestVersion: number;
};

/**
 * What every instance enforces: the settings and each type's current version. `revision`
 * grows by one with every publish and every change of settings, so a message can name
 * the plan it was checked against and an instance holding an older one reads it again.
 */
export type PublishedPlan = {
  revision: number;
  settings: PlanSettings;
  types: ReadonlyMap<string, TypeVersion>;
};

export const emptyPlan: PublishedPlan = {
  revision: 0,
  settings: defaultSettings,
  types: new Map(),
};

/**
 * One way an event breaks the plan. `instancePath` is a JSON pointer into the event as
 * sent (`/payload/amount`); as in Ajv, a missing property is reported at its parent
 * (`/payload`, or `` for an envelope field) with the property named in the message.
 * `keyword` and `message` are the validator's (Ajv's), or `unplanned` for a type the
 * plan does not name.
 */
export type Violation = {
  eventType: string;
  /** The schema's version; null for an unplanned type. */
  version: number | null;
  instancePath: string;
  keyword: string;
  message: string;
};

/** What the plan says of one event. */
export type PlanVerdict =
  | { kind: 'pass'; version: number | null }
  | { kind: 'violations'; enforcement: Enforcement; violations: Violation[] };

/** At most this many violations are kept per event: a broken schema must not bloat records. */
export const maxViolationsPerEvent = 20;

export const enforcementSchema = z.enum(enforcements);

export const settingsSchema = z.strictObject({
  unplanned: enforcementSchema.describe(
    'What happens to an event whose type the plan does not name.',
  ),
  violations: enforcementSchema.describe("What happens to an event that breaks its type's schema."),
});

export const eventTypeSchema = z.string().min(1).max(100).regex(eventTypePattern, eventTypeRule);

export const draftInputSchema = z.strictObject({
  schema: z.record(z.string(), z.unknown()).describe('A JSON Schema (2020-12) for the payload.'),
  requiredFields: z
    .array(z.enum(envelopeFields))
    .max(envelopeFields.length)
    .optional()
    .describe('Envelope fields every event of the type must carry.'),
  description: z.string().max(1000).optional(),
});

export type DraftInput = z.infer<typeof draftInputSchema>;

/** The plan as one file: what `export` answers and `import` takes. */
export const planFileSchema = z.strictObject({
  settings: settingsSchema,
  types: z
    .array(
      z.strictObject({
        eventType: eventTypeSchema,
        schema: z.record(z.string(), z.unknown()),
        requiredFields: z.array(z.enum(envelopeFields)).max(envelopeFields.length).optional(),
        description: z.string().max(1000).nullable().optional(),
      }),
    )
    .max(1000),
});

export type PlanFile = z.infer<typeof planFileSchema>;

/** Whether a draft says what a published version already says (an import publishes only changes). */
export function sameDefinition(
  version: Pick<TypeVersion, 'schema' | 'requiredFields' | 'description'> | undefined,
  draft: { schema: JsonSchema; requiredFields: EnvelopeField[]; description: string | null },
): boolean {
  if (!version) return false;
  return (
    canonical(version.schema) === canonical(draft.schema) &&
    [...version.requiredFields].sort().join() === [...draft.requiredFields].sort().join() &&
    (version.description ?? null) === (draft.description ?? null)
  );
}

/** JSON with object keys sorted, so two equal schemas compare equal whatever their key order. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(
          Object.entries(inner as Record<string, unknown>).sort(([a], [b]) =>
            a < b ? -1 : a > b ? 1 : 0,
          ),
        )
      : inner,
  );
}

/** The plan as one file, types in name order. */
export function toPlanFile(plan: PublishedPlan): PlanFile {
  return {
    settings: plan.settings,
    types: [...plan.types.values()]
      .sort((a, b) => (a.eventType < b.eventType ? -1 : 1))
      .map((type) => ({
        eventType: type.eventType,
        schema: type.schema,
        requiredFields: type.requiredFields,
        description: type.description,
      })),
  };
}
