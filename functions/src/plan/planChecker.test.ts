import { beforeAll, describe, expect, it } from 'vitest';
import { HttpError } from '../lib/http.ts';
import {
  PlanChecker,
  planViolation,
  schemaErrors,
  violationFields,
  type PlannedEvent,
  loadValidator,
} from './planChecker.ts';
import {
  emptyPlan,
  maxViolationsPerEvent,
  type EnvelopeField,
  type JsonSchema,
  type PlanSettings,
  type PublishedPlan,
  type TypeVersion,
  type Violation,
} from './trackingPlan.ts';

beforeAll(async () => {
  await loadValidator();
});

function typeVersion(
  eventType: string,
  version: number,
  schema: JsonSchema,
  requiredFields: EnvelopeField[] = [],
): TypeVersion {
  return {
    eventType,
    version,
    schema,
    requiredFields,
    description: null,
    publishedAt: new Date('2026-01-01T00:00:00.000Z'),
  };
}

function planOf(
  types: TypeVersion[],
  settings: PlanSettings = { unplanned: 'quarantine', violations: 'quarantine' },
): PublishedPlan {
  return { revision: 1, settings, types: new Map(types.map((type) => [type.eventType, type])) };
}

const signupSchema: JsonSchema = {
  type: 'object',
  properties: {
    plan: { type: 'string' },
    seats: { type: 'integer', minimum: 1 },
    email: { type: 'string', format: 'email' },
    at: { type: 'string', format: 'date-time' },
  },
  required: ['plan'],
  additionalProperties: false,
};
const signup = typeVersion('user.signed_up', 3, signupSchema);
const plan = planOf([signup]);

function event(payload: Record<string, unknown>, rest: Partial<PlannedEvent> = {}): PlannedEvent {
  return { eventType: 'user.signed_up', payload, ...rest };
}

function violationsOf(verdict: ReturnType<PlanChecker['check']>): Violation[] {
  if (verdict.kind !== 'violations') throw new Error(`expected violations, got ${verdict.kind}`);
  return verdict.violations;
}

describe('PlanChecker.check: payload schemas', () => {
  it('passes an event that meets its schema, naming the version', () => {
    const verdict = new PlanChecker().check(
      plan,
      event({ plan: 'pro', seats: 3, email: 'a@example.com', at: '2026-01-02T03:04:05Z' }),
    );
    expect(verdict).toEqual({ kind: 'pass', version: 3 });
  });

  it.each([
    [
      'a wrong type',
      { plan: 'pro', seats: 'three' },
      { instancePath: '/payload/seats', keyword: 'type', message: 'must be integer' },
    ],
    [
      'a missing required property',
      { seats: 2 },
      {
        instancePath: '/payload',
        keyword: 'required',
        message: "must have required property 'plan'",
      },
    ],
    [
      'an extra property (named)',
      { plan: 'pro', coupon: 'X' },
      {
        instancePath: '/payload',
        keyword: 'additionalProperties',
        message: "must NOT have additional properties: 'coupon'",
      },
    ],
    [
      'a bad email',
      { plan: 'pro', email: 'not-an-address' },
      { instancePath: '/payload/email', keyword: 'format', message: 'must match format "email"' },
    ],
    [
      'a bad date-time',
      { plan: 'pro', at: '2026-13-45' },
      { instancePath: '/payload/at', keyword: 'format', message: 'must match format "date-time"' },
    ],
  ] as const)('%s is one violation under /payload', (_, payload, expected) => {
    const verdict = new PlanChecker().check(plan, event(payload));
    expect(verdict).toEqual({
      kind: 'violations',
      enforcement: 'quarantine',
      violations: [{ eventType: 'user.signed_up', version: 3, ...expected }],
    });
  });

  it('reports every violation at once (allErrors)', () => {
    const violations = violationsOf(
      new PlanChecker().check(plan, event({ seats: 0, email: 'x', extra: true })),
    );
    expect(violations.map((v) => `${v.instancePath} ${v.keyword}`).sort()).toEqual([
      '/payload additionalProperties',
      '/payload required',
      '/payload/email format',
      '/payload/seats minimum',
    ]);
  });

  it('applies the violations enforcement of the settings', () => {
    for (const violations of ['allow', 'quarantine', 'block'] as const) {
      const verdict = new PlanChecker().check(
        planOf([signup], { unplanned: 'allow', violations }),
        event({ seats: 2 }),
      );
      expect(verdict.kind === 'violations' && verdict.enforcement).toBe(violations);
    }
  });

  it('keeps at most maxViolationsPerEvent violations', () => {
    const properties = Object.fromEntries(
      Array.from({ length: maxViolationsPerEvent + 5 }, (_, i) => [`p${i}`, { type: 'string' }]),
    );
    const wide = typeVersion('wide.event', 1, { type: 'object', properties });
    const payload = Object.fromEntries(Object.keys(properties).map((name) => [name, 1]));
    const violations = violationsOf(
      new PlanChecker().check(planOf([wide]), { eventType: 'wide.event', payload }),
    );
    expect(violations).toHaveLength(maxViolationsPerEvent);
    expect(violations.every((v) => v.keyword === 'type')).toBe(true);
  });

  it('a version that does not compile is one `schema` violation, not a crash', () => {
    const broken = typeVersion('user.signed_up', 4, { type: 'object', requried: ['plan'] });
    const violations = violationsOf(new PlanChecker().check(planOf([broken]), event({})));
    expect(violations).toEqual([
      {
        eventType: 'user.signed_up',
        version: 4,
        instancePath: '',
        keyword: 'schema',
        message: 'the schema of this version does not compile',
      },
    ]);
  });
});

describe('PlanChecker.check: envelope fields', () => {
  const identified = typeVersion('user.signed_up', 5, { type: 'object' }, ['userId', 'siteId']);

  it('passes when the required envelope fields are there', () => {
    const verdict = new PlanChecker().check(
      planOf([identified]),
      event({}, { userId: 'u1', siteId: 's1' }),
    );
    expect(verdict).toEqual({ kind: 'pass', version: 5 });
  });

  it('a missing userId is a `required` violation naming the field', () => {
    const violations = violationsOf(
      new PlanChecker().check(planOf([identified]), event({}, { siteId: 's1' })),
    );
    expect(violations).toEqual([
      {
        eventType: 'user.signed_up',
        version: 5,
        instancePath: '',
        keyword: 'required',
        message: "must have required property 'userId'",
      },
    ]);
  });

  it('envelope and payload violations come together, envelope first', () => {
    const both = typeVersion('user.signed_up', 6, signupSchema, ['userId']);
    const violations = violationsOf(new PlanChecker().check(planOf([both]), event({ seats: 1 })));
    expect(violations.map((v) => [v.instancePath, v.keyword, v.version])).toEqual([
      ['', 'required', 6],
      ['/payload', 'required', 6],
    ]);
    expect(violations[0]!.message).toContain("'userId'");
  });
});

describe('PlanChecker.check: unplanned types', () => {
  const stranger: PlannedEvent = { eventType: 'cart.abandoned', payload: { anything: 1 } };
  const unplannedViolation: Violation = {
    eventType: 'cart.abandoned',
    version: null,
    instancePath: '',
    keyword: 'unplanned',
    message: 'type cart.abandoned is not in the tracking plan',
  };

  it.each(['allow', 'quarantine', 'block'] as const)(
    'a non-empty plan with unplanned %s names the type as unplanned',
    (unplanned) => {
      const verdict = new PlanChecker().check(
        planOf([signup], { unplanned, violations: 'allow' }),
        stranger,
      );
      expect(verdict).toEqual({
        kind: 'violations',
        enforcement: unplanned,
        violations: [unplannedViolation],
      });
    },
  );

  it('the empty plan (unplanned allow) passes everything', () => {
    const checker = new PlanChecker();
    expect(checker.check(emptyPlan, stranger)).toEqual({ kind: 'pass', version: null });
    expect(checker.check(emptyPlan, event({ not: 'checked' }))).toEqual({
      kind: 'pass',
      version: null,
    });
  });

  it('an empty plan that does not allow unplanned types holds everything back', () => {
    const verdict = new PlanChecker().check(
      planOf([], { unplanned: 'block', violations: 'allow' }),
      stranger,
    );
    expect(verdict).toEqual({
      kind: 'violations',
      enforcement: 'block',
      violations: [unplannedViolation],
    });
  });
});

/** A version of order.placed whose schema always has the same `$id`. */
function withId(type: string, version: number): TypeVersion {
  return typeVersion('order.placed', version, {
    $id: 'https://example.com/order.placed',
    type: 'object',
    properties: { total: { type } },
  });
}

describe('PlanChecker.check: versions', () => {
  it('a new version of a type is compiled and used', () => {
    const checker = new PlanChecker();
    const v1 = typeVersion('order.placed', 1, {
      type: 'object',
      properties: { total: { type: 'string' } },
    });
    const v2 = typeVersion('order.placed', 2, {
      type: 'object',
      properties: { total: { type: 'number' } },
    });
    const sent: PlannedEvent = { eventType: 'order.placed', payload: { total: 12.5 } };

    expect(violationsOf(checker.check(planOf([v1]), sent))).toEqual([
      expect.objectContaining({ version: 1, instancePath: '/payload/total', keyword: 'type' }),
    ]);
    expect(checker.check(planOf([v2]), sent)).toEqual({ kind: 'pass', version: 2 });
    // And back: the version in the plan is the one checked, not the newest compiled.
    expect(checker.check(planOf([v1]), sent).kind).toBe('violations');
  });

  it('a new version with the same $id as the old one compiles', () => {
    const checker = new PlanChecker();
    const sent: PlannedEvent = { eventType: 'order.placed', payload: { total: 1 } };
    expect(checker.check(planOf([withId('string', 1)]), sent).kind).toBe('violations');
    expect(checker.check(planOf([withId('number', 2)]), sent)).toEqual({
      kind: 'pass',
      version: 2,
    });
  });

  it('types are compiled apart: one type never checks against another', () => {
    const checker = new PlanChecker();
    const a = typeVersion('a.one', 1, { type: 'object', required: ['x'] });
    const b = typeVersion('b.two', 1, { type: 'object', required: ['y'] });
    const both = planOf([a, b]);
    expect(checker.check(both, { eventType: 'a.one', payload: { x: 1 } }).kind).toBe('pass');
    expect(checker.check(both, { eventType: 'b.two', payload: { y: 1 } }).kind).toBe('pass');
    expect(checker.check(both, { eventType: 'b.two', payload: { x: 1 } }).kind).toBe('violations');
  });

  it('a fixed version after an uncompilable one with the same $id compiles', () => {
    const checker = new PlanChecker();
    const id = 'https://example.com/poisoned';
    const broken = typeVersion('order.placed', 1, { $id: id, type: 'object', requried: ['a'] });
    const fixed = typeVersion('order.placed', 2, { $id: id, type: 'object', required: ['a'] });
    const sent: PlannedEvent = { eventType: 'order.placed', payload: { a: 1 } };
    expect(violationsOf(checker.check(planOf([broken]), sent))[0]!.keyword).toBe('schema');
    expect(checker.check(planOf([fixed]), sent)).toEqual({ kind: 'pass', version: 2 });
  });

  it('two types whose schemas share an $id are both checked', () => {
    const checker = new PlanChecker();
    const schema = { $id: 'https://example.com/shared', type: 'object' };
    expect(schemaErrors({ ...schema })).toEqual([]);
    const both = planOf([typeVersion('a.one', 1, { ...schema }), typeVersion('b.two', 1, schema)]);
    expect(checker.check(both, { eventType: 'a.one', payload: {} }).kind).toBe('pass');
    expect(checker.check(both, { eventType: 'b.two', payload: {} }).kind).toBe('pass');
  });
});

describe('PlanChecker.blocks', () => {
  it.each([
    [{ unplanned: 'allow', violations: 'allow' }, false],
    [{ unplanned: 'quarantine', violations: 'quarantine' }, false],
    [{ unplanned: 'block', violations: 'allow' }, true],
    [{ unplanned: 'allow', violations: 'block' }, true],
    [{ unplanned: 'block', violations: 'block' }, true],
  ] as const)('%o → %s', (settings, blocks) => {
    expect(PlanChecker.blocks(planOf([], settings))).toBe(blocks);
  });
});

describe('schemaErrors', () => {
  it('rejects an unknown keyword (a typo must not pass silently)', () => {
    const errors = schemaErrors({ type: 'object', requried: ['plan'] });
    expect(errors).toHaveLength(1);
    expect(errors[0]!.field).toBe('schema');
    expect(errors[0]!.message).toContain('requried');
  });

  it('rejects a schema that breaks the meta-schema', () => {
    const errors = schemaErrors({ type: 'bogus' });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ field: 'schema' });
    expect(errors[0]!.message).toMatch(/schema is invalid/);
  });

  it('rejects an unresolvable $ref', () => {
    expect(schemaErrors({ $ref: '#/$defs/missing' })).toHaveLength(1);
  });

  it('accepts a valid 2020-12 schema with $defs and $ref, and again (nothing left behind)', () => {
    const schema: JsonSchema = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: 'https://example.com/schemas/order',
      type: 'object',
      $defs: { money: { type: 'number', minimum: 0 } },
      properties: {
        total: { $ref: '#/$defs/money' },
        items: { type: 'array', prefixItems: [{ type: 'string' }] },
      },
      required: ['total'],
    };
    expect(schemaErrors(schema)).toEqual([]);
    expect(schemaErrors(structuredClone(schema))).toEqual([]);
  });

  it('accepts the formats the checker knows', () => {
    expect(
      schemaErrors({
        type: 'object',
        properties: { e: { format: 'email' }, t: { format: 'date-time' }, u: { format: 'uri' } },
      }),
    ).toEqual([]);
  });

  it('caps the message at 500 characters', () => {
    const properties = Object.fromEntries(
      Array.from({ length: 200 }, (_, i) => [`field_${i}`, { type: `bogus_${i}` }]),
    );
    const errors = schemaErrors({ type: 'object', properties });
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message.length).toBeLessThanOrEqual(500);
  });

  it('accepts a corrected schema after refusing one with the same $id', () => {
    const id = 'https://example.com/schemas/typo-then-fix';
    expect(schemaErrors({ $id: id, type: 'object', requried: ['a'] })).toHaveLength(1);
    expect(schemaErrors({ $id: id, type: 'object', required: ['a'] })).toEqual([]);
  });
});

describe('violationFields and planViolation', () => {
  const typed: Violation = {
    eventType: 'user.signed_up',
    version: 3,
    instancePath: '/payload/seats',
    keyword: 'type',
    message: 'must be integer',
  };
  const unplanned: Violation = {
    eventType: 'cart.abandoned',
    version: null,
    instancePath: '',
    keyword: 'unplanned',
    message: 'type cart.abandoned is not in the tracking plan',
  };

  it('names the pointer (or the root), the type, version and keyword', () => {
    expect(violationFields([typed, unplanned])).toEqual([
      { field: '/payload/seats', message: 'must be integer (user.signed_up v3, type)' },
      { field: '(root)', message: 'type cart.abandoned is not in the tracking plan' },
    ]);
  });

  it('planViolation is a 400 plan_violation with one field per violation', () => {
    const error = planViolation([typed, unplanned]);
    expect(error).toBeInstanceOf(HttpError);
    expect(error.status).toBe(400);
    expect(error.code).toBe('plan_violation');
    expect(error.fields).toEqual(violationFields([typed, unplanned]));
  });
});
