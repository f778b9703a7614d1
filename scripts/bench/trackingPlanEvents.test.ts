import { beforeAll, describe, expect, it } from 'vitest';
import { PlanChecker, schemaErrors, loadValidator } from '../../functions/src/plan/planChecker.ts';
import {
  emptyPlan,
  type PlanFile,
  type PublishedPlan,
} from '../../functions/src/plan/trackingPlan.ts';
import {
  batchBodies,
  benchEvent,
  noPlan,
  planFile,
  plannedTypes,
  unplannedType,
  violationKinds,
  type BenchEvent,
} from './trackingPlanEvents.ts';

beforeAll(async () => {
  await loadValidator();
});

const types = plannedTypes(50);
const file = planFile(types, { unplanned: 'quarantine', violations: 'quarantine' });

function published(plan: PlanFile): PublishedPlan {
  return {
    revision: 1,
    settings: plan.settings,
    types: new Map(
      plan.types.map((type) => [
        type.eventType,
        {
          eventType: type.eventType,
          version: 1,
          schema: type.schema,
          requiredFields: type.requiredFields ?? [],
          description: null,
          publishedAt: new Date(0),
        },
      ]),
    ),
  };
}

const checker = new PlanChecker();
const check = (plan: PublishedPlan, event: BenchEvent) => checker.check(plan, event);

describe('the tracking plan of the bench', () => {
  it('has 50 distinct types whose schemas compile, 4–8 properties each, some required, a format each', () => {
    expect(new Set(file.types.map((type) => type.eventType)).size).toBe(50);
    for (const type of file.types) {
      expect(schemaErrors(type.schema)).toEqual([]);
      const schema = type.schema as {
        properties: Record<string, Record<string, unknown>>;
        required: string[];
        additionalProperties: boolean;
      };
      const names = Object.keys(schema.properties);
      expect(names.length).toBeGreaterThanOrEqual(4);
      expect(names.length).toBeLessThanOrEqual(8);
      expect(schema.required.length).toBeGreaterThan(0);
      expect(schema.additionalProperties).toBe(false);
      expect(Object.values(schema.properties).some((property) => 'format' in property)).toBe(true);
    }
    expect(file.types.some((type) => (type.requiredFields ?? []).length > 0)).toBe(true);
  });

  it('passes the events sent as valid, and quarantines each kind of violation', () => {
    const plan = published(file);
    for (let n = 0; n < 200; n += 1) expect(check(plan, benchEvent(types, n)).kind).toBe('pass');
    for (const [k, kind] of violationKinds.entries()) {
      const verdict = check(plan, benchEvent(types, k * 13, kind));
      expect(verdict).toMatchObject({ kind: 'violations', enforcement: 'quarantine' });
    }
    expect(check(plan, { ...benchEvent(types, 0), eventType: unplannedType })).toMatchObject({
      kind: 'violations',
      enforcement: 'quarantine',
    });
  });

  it('passes every event, valid or not, under the empty plan', () => {
    const plan = { ...published(noPlan), revision: 2 };
    expect(plan.types.size).toBe(0);
    expect(check(plan, benchEvent(types, 3, violationKinds[1])).kind).toBe('pass');
    expect(check(emptyPlan, { ...benchEvent(types, 0), eventType: unplannedType }).kind).toBe(
      'pass',
    );
  });

  it('breaks the schema in one event of every `violatingEvery`, over every type', () => {
    const { bodies, violating, events } = batchBodies(types, {
      count: 10,
      size: 500,
      violatingEvery: 50,
    });
    expect(events).toBe(5000);
    expect(violating).toBe(100);
    const plan = published(file);
    const sent = bodies.flatMap((body) => (JSON.parse(body) as { events: BenchEvent[] }).events);
    const broken = sent.filter((event) => check(plan, event).kind === 'violations');
    expect(broken.length).toBe(violating);
    expect(new Set(broken.map((event) => event.eventType)).size).toBe(50);
    expect(batchBodies(types, { count: 1, size: 500, violatingEvery: 0 }).violating).toBe(0);
  });
});
