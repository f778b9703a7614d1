import { z } from 'zod';
import { HttpError, type FieldError } from '../../lib/http.ts';
import { parseJsonBody } from '../../lib/requestInput.ts';
import type { Route } from '../../lib/router.ts';
import type { TrackingPlanRouteDeps } from './planAdminDeps.ts';
import { loadValidator, schemaErrors } from '../../plan/planChecker.ts';
import { base, planSchema, tag, typeSchema, versionSchema } from './planSchemas.ts';
import type { PlanType } from '../../plan/planStore.ts';
import { quarantineRoutes } from './quarantineRoutes.ts';
import {
  draftInputSchema,
  eventTypeSchema,
  planFileSchema,
  settingsSchema,
  toPlanFile,
  type TypeDraft,
  type TypeVersion,
} from '../../plan/trackingPlan.ts';

export type { TrackingPlanAdminDeps, TrackingPlanRouteDeps } from './planAdminDeps.ts';

const planRoutes: Route<TrackingPlanRouteDeps>[] = [
  {
    method: 'GET',
    path: base,
    role: 'admin',
    tag,
    summary: 'The tracking plan: settings, and each type with its current version and draft',
    responses: { 200: { description: 'The plan.', schema: planSchema } },
    handle: async ({ res }, { trackingPlan }) => {
      const [plan, types] = await Promise.all([
        trackingPlan.store.current(),
        trackingPlan.store.types(),
      ]);
      res
        .status(200)
        .json({ revision: plan.revision, settings: plan.settings, types: types.map(presentType) });
    },
  },
  {
    method: 'PUT',
    path: `${base}/settings`,
    role: 'admin',
    tag,
    summary: 'What happens to unplanned types and to violations: allow, quarantine or block',
    body: settingsSchema,
    responses: {
      200: {
        description: 'Enforced by every instance within the plan cache time (30 s by default).',
        schema: z.object({ revision: z.number().int(), settings: settingsSchema }),
      },
    },
    handle: async ({ req, res, log }, { trackingPlan }) => {
      const settings = parseJsonBody(req, settingsSchema);
      const { revision } = await trackingPlan.store.putSettings(settings);
      log.info({ revision, ...settings }, 'tracking plan settings changed');
      res.status(200).json({ revision, settings });
    },
  },
  {
    method: 'GET',
    path: `${base}/export`,
    role: 'admin',
    tag,
    summary: 'The enforced plan as one file (what import takes)',
    responses: { 200: { description: 'The plan file.', schema: planFileSchema } },
    handle: async ({ res }, { trackingPlan }) => {
      res.status(200).json(toPlanFile(await trackingPlan.store.current()));
    },
  },
  {
    method: 'POST',
    path: `${base}/import`,
    role: 'admin',
    tag,
    summary: 'Make the plan what a file says: changed types get a new version, missing ones retire',
    description:
      'One transaction: every schema is checked first, and either the whole file is applied or nothing. Types whose schema, required fields and description are unchanged keep their version. Applying the same file again changes nothing.',
    body: planFileSchema,
    responses: {
      200: {
        description: 'What changed.',
        schema: z.object({
          revision: z.number().int(),
          published: z.array(z.object({ eventType: z.string(), version: z.number().int() })),
          retired: z.array(z.string()),
          unchanged: z.array(z.string()),
        }),
      },
    },
    handle: async ({ req, res, log }, { trackingPlan }) => {
      const file = parseJsonBody(req, planFileSchema);
      await loadValidator();
      const names = new Set<string>();
      const errors: FieldError[] = [];
      file.types.forEach((type, index) => {
        if (names.has(type.eventType))
          errors.push({ field: `types.${index}.eventType`, message: 'is named twice' });
        names.add(type.eventType);
        for (const error of schemaErrors(type.schema))
          errors.push({ field: `types.${index}.schema`, message: error.message });
      });
      if (errors.length > 0) throw invalidPlan(errors);
      const outcome = await trackingPlan.store.apply(file, trackingPlan.now());
      log.info(
        {
          revision: outcome.revision,
          published: outcome.published.length,
          retired: outcome.retired.length,
        },
        'tracking plan imported',
      );
      res.status(200).json(outcome);
    },
  },
  {
    method: 'GET',
    path: `${base}/types/:eventType`,
    role: 'admin',
    tag,
    summary: 'One type: its current version, draft and every published version',
    responses: {
      200: {
        description: 'The type.',
        schema: typeSchema.extend({ versions: z.array(versionSchema) }),
      },
    },
    handle: async ({ res, params }, { trackingPlan }) => {
      const eventType = typeParam(params.eventType);
      const [type, versions] = await Promise.all([
        trackingPlan.store.type(eventType),
        trackingPlan.store.versions(eventType),
      ]);
      if (!type) throw typeNotFound(eventType);
      res.status(200).json({ ...presentType(type), versions: versions.map(presentVersion) });
    },
  },
  {
    method: 'PUT',
    path: `${base}/types/:eventType/draft`,
    role: 'admin',
    tag,
    summary: "Write a type's draft (its next version); nothing is enforced until it is published",
    body: draftInputSchema,
    responses: { 200: { description: 'The draft.', schema: typeSchema.shape.draft } },
    handle: async ({ req, res, params }, { trackingPlan }) => {
      const eventType = typeParam(params.eventType);
      const input = parseJsonBody(req, draftInputSchema);
      await loadValidator();
      const errors = schemaErrors(input.schema);
      if (errors.length > 0) throw invalidPlan(errors);
      const draft: TypeDraft = {
        schema: input.schema,
        requiredFields: input.requiredFields ?? [],
        description: input.description ?? null,
        updatedAt: trackingPlan.now(),
      };
      await trackingPlan.store.putDraft(eventType, draft);
      res.status(200).json(presentDraft(draft));
    },
  },
  {
    method: 'POST',
    path: `${base}/types/:eventType/publish`,
    role: 'admin',
    tag,
    summary: "Publish a type's draft as its next version (versions never change once published)",
    responses: {
      201: {
        description: 'The new version.',
        schema: versionSchema.extend({ revision: z.number().int() }),
      },
      200: { description: 'The draft says what the current version says: nothing published.' },
      409: { description: 'The type has no draft.' },
    },
    handle: async ({ res, params, log }, { trackingPlan }) => {
      const eventType = typeParam(params.eventType);
      const outcome = await trackingPlan.store.publish(eventType, trackingPlan.now());
      if (outcome.kind === 'no_draft')
        throw new HttpError(409, 'no_draft', `Type ${eventType} has no draft to publish.`);
      if (outcome.kind === 'unchanged') {
        res.status(200).json({ ...presentVersion(outcome.version), unchanged: true });
        return;
      }
      log.info(
        { eventType, version: outcome.version.version, revision: outcome.revision },
        'tracking plan type published',
      );
      res.status(201).json({ ...presentVersion(outcome.version), revision: outcome.revision });
    },
  },
  {
    method: 'DELETE',
    path: `${base}/types/:eventType`,
    role: 'admin',
    tag,
    summary: 'Retire a type: its events become unplanned; its versions are kept',
    responses: {
      200: { description: 'Retired.', schema: z.object({ revision: z.number().int() }) },
    },
    handle: async ({ res, params }, { trackingPlan }) => {
      const eventType = typeParam(params.eventType);
      const retired = await trackingPlan.store.retire(eventType);
      if (!retired) throw typeNotFound(eventType);
      res.status(200).json(retired);
    },
  },
  {
    method: 'GET',
    path: `${base}/types/:eventType/versions/:version`,
    role: 'admin',
    tag,
    summary: 'One published version of a type',
    responses: { 200: { description: 'The version.', schema: versionSchema } },
    handle: async ({ res, params }, { trackingPlan }) => {
      const eventType = typeParam(params.eventType);
      const number = Number(params.version);
      if (!Number.isInteger(number) || number < 1)
        throw new HttpError(400, 'invalid_version', 'The version must be a whole number from 1.', {
          fields: [{ field: 'version', message: 'must be a whole number from 1' }],
        });
      const version = await trackingPlan.store.version(eventType, number);
      if (!version)
        throw new HttpError(404, 'not_found', `Type ${eventType} has no version ${number}.`);
      res.status(200).json(presentVersion(version));
    },
  },
];

/** The plan, its types and versions, the day's violations, and replays of the quarantine. */
export const trackingPlanRoutes: Route<TrackingPlanRouteDeps>[] = [
  ...planRoutes,
  ...quarantineRoutes,
];

function typeParam(value: string | undefined): string {
  const parsed = eventTypeSchema.safeParse(value);
  if (!parsed.success)
    throw new HttpError(400, 'invalid_event_type', 'The event type in the path is invalid.', {
      fields: [{ field: 'eventType', message: parsed.error.issues[0]?.message ?? 'invalid' }],
    });
  return parsed.data;
}

function typeNotFound(eventType: string): HttpError {
  return new HttpError(404, 'not_found', `Type ${eventType} is not in the tracking plan.`);
}

function invalidPlan(fields: FieldError[]): HttpError {
  return new HttpError(400, 'invalid_schema', 'A schema does not compile.', { fields });
}

function presentType(type: PlanType): Record<string, unknown> {
  return {
    eventType: type.eventType,
    current: type.current ? presentVersion(type.current) : null,
    draft: type.draft ? presentDraft(type.draft) : null,
    latestVersion: type.latestVersion,
  };
}

function presentVersion(version: TypeVersion): Record<string, unknown> {
  return { ...version, publishedAt: version.publishedAt.toISOString() };
}

function presentDraft(draft: TypeDraft): Record<string, unknown> {
  return { ...draft, updatedAt: draft.updatedAt.toISOString() };
}
