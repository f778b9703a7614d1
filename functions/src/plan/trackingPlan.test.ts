import { describe, expect, it } from 'vitest';
import {
  canonical,
  draftInputSchema,
  planFileSchema,
  sameDefinition,
  settingsSchema,
  toPlanFile,
  type EnvelopeField,
  type JsonSchema,
  type PublishedPlan,
  type TypeVersion,
} from './trackingPlan.ts';

const schema: JsonSchema = {
  type: 'object',
  properties: { plan: { type: 'string', minLength: 1 }, seats: { type: 'integer' } },
  required: ['plan'],
};
/** The same schema, every object's keys in another order. */
const reordered: JsonSchema = {
  required: ['plan'],
  properties: { seats: { type: 'integer' }, plan: { minLength: 1, type: 'string' } },
  type: 'object',
};

function version(
  eventType: string,
  overrides: Partial<Pick<TypeVersion, 'schema' | 'requiredFields' | 'description'>> = {},
): TypeVersion {
  return {
    eventType,
    version: 1,
    schema,
    requiredFields: ['userId', 'siteId'],
    description: 'A user signed up.',
    publishedAt: new Date('2026-01-01T00:00:00.000Z'),
    ...overrides,
  };
}

const draft = (
  overrides: Partial<{
    schema: JsonSchema;
    requiredFields: EnvelopeField[];
    description: string | null;
  }> = {},
) => ({
  schema,
  requiredFields: ['userId', 'siteId'] as EnvelopeField[],
  description: 'A user signed up.' as string | null,
  ...overrides,
});

describe('canonical', () => {
  it('is the same for objects whose keys differ only in order, at every depth', () => {
    expect(canonical(reordered)).toBe(canonical(schema));
    expect(canonical({ b: 1, a: { d: 2, c: 3 } })).toBe('{"a":{"c":3,"d":2},"b":1}');
  });

  it('keeps array order and tells different values apart', () => {
    expect(canonical(['a', 'b'])).not.toBe(canonical(['b', 'a']));
    expect(canonical({ ...schema, required: ['seats'] })).not.toBe(canonical(schema));
    expect(canonical([{ y: 1, x: 2 }])).toBe('[{"x":2,"y":1}]');
  });
});

describe('sameDefinition', () => {
  it('ignores key order in the schema and the order of requiredFields', () => {
    expect(
      sameDefinition(
        version('user.signed_up'),
        draft({ schema: reordered, requiredFields: ['siteId', 'userId'] }),
      ),
    ).toBe(true);
  });

  it.each([
    ['a schema change', draft({ schema: { ...schema, required: ['plan', 'seats'] } })],
    ['a required field more', draft({ requiredFields: ['userId', 'siteId', 'path'] })],
    ['a required field less', draft({ requiredFields: ['userId'] })],
    ['a description change', draft({ description: 'Someone signed up.' })],
    ['a description removed', draft({ description: null })],
  ])('sees %s', (_, changed) => {
    expect(sameDefinition(version('user.signed_up'), changed)).toBe(false);
  });

  it('no published version is never the same', () => {
    expect(sameDefinition(undefined, draft())).toBe(false);
  });

  it('a null description on both sides is the same', () => {
    expect(
      sameDefinition(
        version('user.signed_up', { description: null }),
        draft({ description: null }),
      ),
    ).toBe(true);
  });
});

describe('planFileSchema', () => {
  const file = {
    settings: { unplanned: 'allow', violations: 'quarantine' },
    types: [
      { eventType: 'user.signed_up', schema, requiredFields: ['userId'], description: 'Signs up.' },
      { eventType: 'page.viewed', schema: { type: 'object' } },
    ],
  };

  it('accepts a plan file, optional fields left out', () => {
    expect(planFileSchema.parse(file)).toEqual(file);
  });

  it.each([
    ['an unknown top-level field', { ...file, version: 2 }],
    ['an unknown settings field', { ...file, settings: { ...file.settings, strict: true } }],
    ['an unknown type field', { ...file, types: [{ ...file.types[1], version: 3 }] }],
    ['an unknown enforcement', { ...file, settings: { unplanned: 'drop', violations: 'allow' } }],
    ['a bad event type (uppercase)', { ...file, types: [{ eventType: 'Page.Viewed', schema }] }],
    ['a bad event type (spaces)', { ...file, types: [{ eventType: 'page viewed', schema }] }],
    ['an empty event type', { ...file, types: [{ eventType: '', schema }] }],
    ['an event type too long', { ...file, types: [{ eventType: 'a'.repeat(101), schema }] }],
    [
      'an unknown envelope field',
      { ...file, types: [{ eventType: 'page.viewed', schema, requiredFields: ['email'] }] },
    ],
    [
      'a schema that is not an object',
      { ...file, types: [{ eventType: 'page.viewed', schema: 1 }] },
    ],
    ['missing settings', { types: [] }],
  ])('refuses %s', (_, input) => {
    expect(planFileSchema.safeParse(input).success).toBe(false);
  });

  it('names the bad event type in the issue path', () => {
    const result = planFileSchema.safeParse({
      ...file,
      types: [file.types[0], { eventType: 'Bad Type', schema }],
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path)).toEqual([['types', 1, 'eventType']]);
  });
});

describe('settingsSchema and draftInputSchema', () => {
  it('settings are strict', () => {
    expect(settingsSchema.safeParse({ unplanned: 'block', violations: 'allow' }).success).toBe(
      true,
    );
    expect(settingsSchema.safeParse({ unplanned: 'block' }).success).toBe(false);
  });

  it('a draft refuses unknown fields and unknown envelope fields', () => {
    expect(draftInputSchema.safeParse({ schema, requiredFields: ['userId'] }).success).toBe(true);
    expect(draftInputSchema.safeParse({ schema, version: 2 }).success).toBe(false);
    expect(draftInputSchema.safeParse({ schema, requiredFields: ['eventId'] }).success).toBe(false);
  });
});

describe('toPlanFile', () => {
  it('lists the types in name order with their definitions, and the settings', () => {
    const plan: PublishedPlan = {
      revision: 7,
      settings: { unplanned: 'block', violations: 'quarantine' },
      types: new Map(
        ['user.signed_up', 'cart.abandoned', 'page.viewed', 'page_view'].map((name) => [
          name,
          { ...version(name), version: 4 },
        ]),
      ),
    };
    const file = toPlanFile(plan);
    expect(file.settings).toEqual({ unplanned: 'block', violations: 'quarantine' });
    expect(file.types.map((type) => type.eventType)).toEqual([
      'cart.abandoned',
      'page.viewed',
      'page_view',
      'user.signed_up',
    ]);
    expect(file.types[0]).toEqual({
      eventType: 'cart.abandoned',
      schema,
      requiredFields: ['userId', 'siteId'],
      description: 'A user signed up.',
    });
    // What export answers, import takes.
    expect(planFileSchema.parse(file)).toEqual(file);
  });

  it('the empty plan is the default settings and no types', () => {
    const file = toPlanFile({
      revision: 0,
      settings: { unplanned: 'allow', violations: 'allow' },
      types: new Map(),
    });
    expect(file).toEqual({ settings: { unplanned: 'allow', violations: 'allow' }, types: [] });
  });
});
