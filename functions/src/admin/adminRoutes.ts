import { z } from 'zod';
import { HttpError } from '../lib/http.ts';
import { parseJsonBody, parseQuery } from '../lib/requestInput.ts';
import type { Logger } from '../lib/logger.ts';
import type { Route } from '../lib/router.ts';
import type { ApiDeps } from './apiDeps.ts';
import {
  frozenFilter,
  newReplayJob,
  presentJob,
  runReplayJob,
  type ReplayJob,
} from './bulkReplay.ts';
import { presentEvent } from './eventRoutes.ts';
import {
  deadLetterQuerySchema,
  decodeCursor,
  defaultListStatuses,
  describeFilter,
  encodeCursor,
  failedListQuerySchema,
  replayableStatuses,
  replayFilterSchema,
  toFilter,
} from './failedEvents.ts';
import { metricsSummary } from './metrics.ts';
import { replayEvent } from './replay.ts';
import {
  deadLetterPageSchema,
  dryRunSchema,
  eventDetailSchema,
  eventPageSchema,
  metricsSummarySchema,
  replayJobSchema,
  replayResultSchema,
} from './schemas.ts';

const bulkReplaySchema = z.strictObject({
  filter: replayFilterSchema.default({}),
  dryRun: z.boolean().default(false).describe('Count what would be replayed, change nothing.'),
});

const metricsQuerySchema = z.strictObject({
  hours: z.coerce
    .number()
    .int()
    .min(1)
    .max(72)
    .optional()
    .describe('Hours of throughput, 1–72 (default 24).'),
});

/** Failed and dead-lettered events, replays, and the metrics summary, under /v1/admin. */
export const adminRoutes: Route<ApiDeps>[] = [
  {
    method: 'GET',
    path: '/v1/admin/events/failed',
    role: 'admin',
    tag: 'Failed events',
    summary: 'Failed, dead-lettered and queued events, newest failure first',
    query: failedListQuerySchema,
    responses: { 200: { description: 'One page.', schema: eventPageSchema } },
    handle: async ({ req, res }, deps) => {
      const query = parseQuery(req, failedListQuerySchema);
      const filter = toFilter(query, defaultListStatuses);
      const page = await deps.ops.queries.failedPage(
        filter,
        query.limit,
        query.cursor ? decodeCursor(query.cursor) : undefined,
      );
      res.status(200).json({
        items: page.items.map(presentEvent),
        nextCursor: page.next ? encodeCursor(page.next) : null,
      });
    },
  },
  {
    method: 'GET',
    path: '/v1/admin/dead-letters',
    role: 'admin',
    tag: 'Failed events',
    summary: 'Dead-lettered events with their total count',
    query: deadLetterQuerySchema,
    responses: { 200: { description: 'One page and the count.', schema: deadLetterPageSchema } },
    handle: async ({ req, res }, deps) => {
      const query = parseQuery(req, deadLetterQuerySchema);
      const filter = toFilter({ ...query, status: ['DEAD_LETTER'] }, ['DEAD_LETTER']);
      const [page, count] = await Promise.all([
        deps.ops.queries.failedPage(
          filter,
          query.limit,
          query.cursor ? decodeCursor(query.cursor) : undefined,
        ),
        deps.ops.queries.countFailed(filter),
      ]);
      res.status(200).json({
        count,
        items: page.items.map(presentEvent),
        nextCursor: page.next ? encodeCursor(page.next) : null,
      });
    },
  },
  {
    method: 'GET',
    path: '/v1/admin/events/:eventId',
    role: 'admin',
    tag: 'Failed events',
    summary: 'One event with its full history and, while unprocessed, its body',
    responses: {
      200: { description: 'The event.', schema: eventDetailSchema },
      404: { description: 'No status recorded.' },
    },
    handle: async ({ res, params }, deps) => {
      const stored = await deps.events.get(params.eventId ?? '');
      if (!stored)
        throw new HttpError(404, 'not_found', 'No status is recorded for this event yet.');
      const { envelope } = stored.record;
      let event: unknown = null;
      let rawMessage: string | null = null;
      if (envelope) {
        try {
          event = JSON.parse(envelope) as unknown;
        } catch {
          rawMessage = envelope;
        }
      }
      res.status(200).json({ ...presentEvent(stored.record), event, rawMessage });
    },
  },
  {
    method: 'POST',
    path: '/v1/admin/events/:eventId/replay',
    role: 'admin',
    tag: 'Replay',
    summary: 'Replay one failed or dead-lettered event',
    responses: {
      202: { description: 'QUEUED and republished.', schema: replayResultSchema },
      404: { description: 'No status recorded.' },
      410: { description: 'Erased by a privacy regulation: it can never be replayed.' },
      409: { description: 'Processed, already queued, or never readable.' },
      503: { description: 'The republish failed; the status was put back.' },
    },
    handle: async ({ res, params, log }, deps) => {
      const replayed = await replayOrRefuse(params.eventId ?? '', deps, log);
      res
        .status(202)
        .json({ eventId: replayed.eventId, status: 'QUEUED', replay: replayed.replay });
    },
  },
  {
    method: 'POST',
    path: '/v1/admin/replays',
    role: 'admin',
    tag: 'Replay',
    summary: 'Bulk replay of every event matching a filter (dry run first)',
    description:
      'With `dryRun: true` answers the count and changes nothing. Otherwise creates a progress record, replays page by page for up to the time budget, and answers the progress; continue a running job with POST /v1/admin/replays/{replayId}/resume.',
    body: bulkReplaySchema,
    responses: {
      200: { description: 'Dry run: the count.', schema: dryRunSchema },
      201: { description: 'The job and its progress.', schema: replayJobSchema },
    },
    handle: async ({ req, res, log }, deps) => {
      const input = parseJsonBody(req, bulkReplaySchema);
      const filter = toFilter(input.filter, replayableStatuses);
      const now = deps.ops.now();
      const replay = deps.ops.replay;
      // The dry run counts exactly what a job started now would pick.
      const matched = await deps.ops.queries.countFailed(frozenFilter(filter, now));
      if (input.dryRun) {
        res.status(200).json({ dryRun: true, count: matched, filter: describeFilter(filter) });
        return;
      }
      const started = newReplayJob(filter, matched, now, replay.jobTtlDays);
      await replay.jobs.create(started);
      log.info({ replayId: started.replayId, matched }, 'bulk replay started');
      const progressed = await runReplayJob(started, replay);
      res.status(201).json(presentJob(progressed));
    },
  },
  {
    method: 'GET',
    path: '/v1/admin/replays',
    role: 'admin',
    tag: 'Replay',
    summary: 'Recent bulk replays',
    responses: {
      200: { description: 'Newest first.', schema: z.object({ items: z.array(replayJobSchema) }) },
    },
    handle: async ({ res }, deps) => {
      const jobs = await deps.ops.replay.jobs.recent(20);
      res.status(200).json({ items: jobs.map(presentJob) });
    },
  },
  {
    method: 'GET',
    path: '/v1/admin/replays/:replayId',
    role: 'admin',
    tag: 'Replay',
    summary: "A bulk replay's progress",
    responses: { 200: { description: 'The job.', schema: replayJobSchema } },
    handle: async ({ res, params }, deps) => {
      res.status(200).json(presentJob(await findJob(params.replayId, deps)));
    },
  },
  {
    method: 'POST',
    path: '/v1/admin/replays/:replayId/resume',
    role: 'admin',
    tag: 'Replay',
    summary: 'Continue a running bulk replay from where it stopped',
    responses: { 200: { description: 'The job after this round.', schema: replayJobSchema } },
    handle: async ({ res, params }, deps) => {
      const job = await findJob(params.replayId, deps);
      const progressed = await runReplayJob(job, deps.ops.replay);
      res.status(200).json(presentJob(progressed));
    },
  },
  {
    method: 'GET',
    path: '/v1/admin/metrics/summary',
    role: 'admin',
    tag: 'Metrics',
    summary: 'Counts by status and type, hourly throughput, latency percentiles, backlog',
    query: metricsQuerySchema,
    responses: { 200: { description: 'The summary.', schema: metricsSummarySchema } },
    handle: async ({ req, res }, deps) => {
      const query = parseQuery(req, metricsQuerySchema);
      const settings = { ...deps.ops.metrics, ...(query.hours ? { hours: query.hours } : {}) };
      res
        .status(200)
        .json(await metricsSummary(deps.ops.queries, deps.ops.backlog, settings, deps.ops.now()));
    },
  },
];

/**
 * Replays one event, or throws what the operator is told instead: 404 without a
 * status, 409 with the reason it cannot be replayed, 503 when the republish failed.
 */
export async function replayOrRefuse(
  eventId: string,
  deps: ApiDeps,
  log: Logger,
): Promise<{ eventId: string; replay: number }> {
  const outcome = await replayEvent(eventId, deps.ops.replay);
  if (outcome.kind === 'not_found')
    throw new HttpError(404, 'not_found', 'No status is recorded for this event.');
  if (outcome.kind === 'erased')
    throw new HttpError(410, 'erased', 'This event was erased by a privacy regulation.');
  if (outcome.kind === 'refused')
    throw new HttpError(409, 'not_replayable', refusalMessage[outcome.reason]);
  if (outcome.kind === 'unavailable') {
    log.warn({ eventId: outcome.eventId, reason: outcome.reason }, 'replay not published');
    throw new HttpError(503, 'unavailable', 'The event could not be republished; try again.', {
      headers: { 'Retry-After': String(deps.retryAfterSeconds) },
    });
  }
  log.info({ eventId: outcome.eventId, replay: outcome.replay }, 'event replayed');
  return { eventId: outcome.eventId, replay: outcome.replay };
}

const refusalMessage = {
  processed: 'The event is already processed.',
  queued: 'The event is already queued for processing.',
  no_envelope: 'No event body is stored for this event.',
  not_replayable: 'The stored message never parsed as an event; replaying it cannot succeed.',
} as const;

async function findJob(replayId: string | undefined, deps: ApiDeps): Promise<ReplayJob> {
  const job = await deps.ops.replay.jobs.get(replayId ?? '');
  if (!job) throw new HttpError(404, 'not_found', 'No such bulk replay.');
  return job;
}
