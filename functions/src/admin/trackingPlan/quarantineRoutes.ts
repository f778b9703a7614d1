import { z } from 'zod';
import { HttpError } from '../../lib/http.ts';
import { parseJsonBody, parseQuery } from '../../lib/requestInput.ts';
import type { Route } from '../../lib/router.ts';
import type { TrackingPlanAdminDeps, TrackingPlanRouteDeps } from './planAdminDeps.ts';
import {
  base,
  replayInputSchema,
  replaySchema,
  tag,
  violationsQuerySchema,
  violationsSchema,
} from './planSchemas.ts';
import {
  newQuarantineReplay,
  presentQuarantineReplay,
  publishStep,
  quarantineFilter,
  type QuarantineReplay,
} from './quarantineReplay.ts';

/** The day's violations, and replays of the quarantine against the current plan. */
export const quarantineRoutes: Route<TrackingPlanRouteDeps>[] = [
  {
    method: 'GET',
    path: `${base}/violations`,
    role: 'admin',
    tag,
    summary: "A day's violations: events that broke the plan, by type, with example events",
    query: violationsQuerySchema,
    responses: {
      200: { description: 'Types with most violations first.', schema: violationsSchema },
    },
    handle: async ({ req, res }, { trackingPlan }) => {
      const query = parseQuery(req, violationsQuerySchema);
      const day = query.day ?? trackingPlan.now().toISOString().slice(0, 10);
      const counts = await trackingPlan.counts.read(day);
      const ranked = [...counts].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1)).slice(0, 50);
      const types = await Promise.all(
        ranked.map(async ([eventType, count]) => ({
          eventType,
          count,
          examples:
            query.examples === 0
              ? []
              : (await trackingPlan.examples(day, eventType, query.examples)).map((record) => ({
                  eventId: record.eventId,
                  status: record.status,
                  violations: record.violations,
                })),
        })),
      );
      const total = [...counts.values()].reduce((sum, count) => sum + count, 0);
      res.status(200).json({ day, total, types });
    },
  },
  {
    method: 'POST',
    path: `${base}/replays`,
    role: 'admin',
    tag,
    summary: 'Replay quarantined events against the plan as it is now (a job; answers at once)',
    description:
      'Each quarantined event matching the filter (all by default) is checked against the current plan: one that passes is processed exactly once, like any event; one that still fails stays quarantined with its new violations. The job runs on Pub/Sub, a page per step; follow it with GET /v1/admin/tracking-plan/replays/{replayId}. Replaying again changes nothing already replayed.',
    body: replayInputSchema,
    responses: { 202: { description: 'The job, started.', schema: replaySchema } },
    handle: async ({ req, res, log }, { trackingPlan }) => {
      const input = parseJsonBody(req, replayInputSchema);
      const filter = {
        ...(input.type ? { eventType: input.type } : {}),
        ...(input.from ? { from: input.from } : {}),
        ...(input.to ? { to: input.to } : {}),
      };
      const now = trackingPlan.now();
      const [plan, matched] = await Promise.all([
        trackingPlan.store.current(),
        trackingPlan.queries.countFailed(quarantineFilter({ ...filter, to: filter.to ?? now })),
      ]);
      const job = newQuarantineReplay(
        filter,
        matched,
        plan.revision,
        now,
        trackingPlan.replayTtlDays,
      );
      await trackingPlan.replays.create(job);
      if (job.status === 'running') await startOrFail(job, trackingPlan);
      log.info({ replayId: job.replayId, matched }, 'quarantine replay started');
      res.status(202).json(presentQuarantineReplay(job));
    },
  },
  {
    method: 'GET',
    path: `${base}/replays`,
    role: 'admin',
    tag,
    summary: 'Recent replays of the quarantine',
    responses: {
      200: { description: 'Newest first.', schema: z.object({ items: z.array(replaySchema) }) },
    },
    handle: async ({ res }, { trackingPlan }) => {
      const jobs = await trackingPlan.replays.recent(20);
      res.status(200).json({ items: jobs.map(presentQuarantineReplay) });
    },
  },
  {
    method: 'GET',
    path: `${base}/replays/:replayId`,
    role: 'admin',
    tag,
    summary: "A quarantine replay's progress",
    responses: { 200: { description: 'The job.', schema: replaySchema } },
    handle: async ({ res, params }, { trackingPlan }) => {
      res
        .status(200)
        .json(presentQuarantineReplay(await findReplay(params.replayId, trackingPlan)));
    },
  },
  {
    method: 'POST',
    path: `${base}/replays/:replayId/resume`,
    role: 'admin',
    tag,
    summary: 'Send the current step of a running replay again (if its message was lost)',
    description:
      'Safe at any time: a step that already ran is recognised by its number and changes nothing.',
    responses: {
      202: { description: 'The step is on its way.', schema: replaySchema },
      409: { description: 'The replay has finished.' },
    },
    handle: async ({ res, params }, { trackingPlan }) => {
      const job = await findReplay(params.replayId, trackingPlan);
      if (job.status !== 'running')
        throw new HttpError(409, 'replay_finished', 'This replay has finished.');
      await startOrFail(job, trackingPlan);
      res.status(202).json(presentQuarantineReplay(job));
    },
  },
];

async function startOrFail(job: QuarantineReplay, deps: TrackingPlanAdminDeps): Promise<void> {
  try {
    await publishStep(job.replayId, job.step, deps);
  } catch {
    throw new HttpError(
      503,
      'unavailable',
      `The replay ${job.replayId} is recorded but its first step could not be queued; POST its resume.`,
    );
  }
}

async function findReplay(
  replayId: string | undefined,
  deps: TrackingPlanAdminDeps,
): Promise<QuarantineReplay> {
  const valid = z.uuid().safeParse(replayId);
  const job = valid.success ? await deps.replays.get(valid.data) : undefined;
  if (!job) throw new HttpError(404, 'not_found', 'No quarantine replay has this id.');
  return job;
}
