import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { topics } from '../../../../infra/spec.ts';
import { describe } from '../../lib/errors.ts';
import { HttpError } from '../../lib/http.ts';
import { parseJsonBody, parseQuery } from '../../lib/requestInput.ts';
import type { Route } from '../../lib/router.ts';
import { suppressedCountKey, type DailyCounts } from '../../privacy/privacyGate.ts';
import type { HeldPrivacyList } from '../../privacy/privacyList.ts';
import {
  presentRegulation,
  regulationInputSchema,
  type Regulation,
} from '../../regulations/regulation.ts';
import type { RegulationStore } from '../../regulations/regulationStore.ts';
import { regulationMessage } from '../../regulations/runRegulation.ts';
import type { SubjectHasher } from '../../privacy/subjects.ts';
import type { Publisher } from '../../lib/publisher.ts';
import { dayQuerySchema, privacySummarySchema, regulationSchema, tag } from './privacySchemas.ts';

/** What the privacy routes use, as part of the api function's deps. */
export type PrivacyAdminDeps = {
  regulations: RegulationStore;
  hasher: SubjectHasher;
  list: HeldPrivacyList;
  suppressedCounts: DailyCounts;
  publisher: Publisher;
  now: () => Date;
  maxSubjects: number;
  staleSeconds: number;
};

export type PrivacyRouteDeps = { privacy: PrivacyAdminDeps };

const base = '/v1/admin/regulations';

/** Regulations (erase, suppress, lift) and what suppression dropped. */
export const privacyRoutes: Route<PrivacyRouteDeps>[] = [
  {
    method: 'POST',
    path: base,
    role: 'admin',
    tag,
    summary: 'File a regulation: erase, suppress, or lift the suppression of up to 5,000 subjects',
    description:
      "DELETE erases every stored trace of the subjects (warehouse rows, event records, deliveries, idempotency records, upload row errors) and drops their events still travelling; SUPPRESS drops their events from now on, answering producers as if accepted; SUPPRESS_WITH_DELETE does both; UNSUPPRESS lifts a suppression. Segment's names (regulationType, subjectType USER_ID, subjectIds; DELETE_ONLY, DELETE_INTERNAL, SUPPRESS_WITH_DELETE_INTERNAL) are accepted. The work runs on Pub/Sub; follow it with GET /v1/admin/regulations/{regulationId}.",
    body: regulationInputSchema(5_000),
    responses: {
      202: { description: 'Filed; its worker runs it.', schema: regulationSchema },
      503: { description: 'The regulation could not be queued; nothing was filed.' },
    },
    handle: async ({ req, res, log }, { privacy }) => {
      const input = parseJsonBody(req, regulationInputSchema(privacy.maxSubjects));
      const now = privacy.now();
      const regulation: Regulation = {
        regulationId: randomUUID(),
        type: input.type,
        subjectKind: input.subjectKind,
        subjectCount: input.subjects.length,
        subjectHashes: [...new Set(input.subjects.map((subject) => privacy.hasher.hash(subject)))],
        status: 'INITIALIZED',
        createdAt: now,
        updatedAt: now,
        finishedAt: null,
        listedAt: null,
        attempts: 0,
        receipts: [],
        error: null,
      };
      await privacy.regulations.create(regulation, input.subjects);
      try {
        await privacy.publisher.publish(
          topics.regulations.name,
          regulationMessage(regulation.regulationId),
        );
      } catch (error) {
        await privacy.regulations
          .fail(regulation.regulationId, 'could not be queued', privacy.now())
          .catch(() => undefined);
        log.warn({ error: describe(error) }, 'regulation not queued');
        throw new HttpError(
          503,
          'unavailable',
          'The regulation could not be queued; file it again.',
        );
      }
      log.info(
        {
          regulationId: regulation.regulationId,
          type: regulation.type,
          subjects: regulation.subjectCount,
        },
        'regulation filed',
      );
      res.status(202).json(presentRegulation(regulation));
    },
  },
  {
    method: 'GET',
    path: base,
    role: 'admin',
    tag,
    summary: 'Recent regulations, newest first',
    responses: {
      200: { description: 'Newest first.', schema: z.object({ items: z.array(regulationSchema) }) },
    },
    handle: async ({ res }, { privacy }) => {
      const items = await privacy.regulations.recent(50);
      res.status(200).json({ items: items.map(presentRegulation) });
    },
  },
  {
    method: 'GET',
    path: `${base}/:regulationId`,
    role: 'admin',
    tag,
    summary: "A regulation's status and a receipt per store",
    responses: {
      200: { description: 'The regulation.', schema: regulationSchema },
      404: { description: 'No such regulation.' },
    },
    handle: async ({ res, params }, { privacy }) => {
      const regulation = await privacy.regulations.get(params.regulationId ?? '');
      if (!regulation) throw new HttpError(404, 'not_found', 'No such regulation.');
      res.status(200).json(presentRegulation(regulation));
    },
  },
  {
    method: 'GET',
    path: '/v1/admin/privacy/suppressed',
    role: 'admin',
    tag,
    summary: "A day's count of events dropped because their subject is suppressed",
    query: dayQuerySchema,
    responses: { 200: { description: 'Counts only.', schema: privacySummarySchema } },
    handle: async ({ req, res }, { privacy }) => {
      const query = parseQuery(req, dayQuerySchema);
      const day = query.day ?? privacy.now().toISOString().slice(0, 10);
      const [counts, list] = await Promise.all([
        privacy.suppressedCounts.read(day),
        privacy.list.current(),
      ]);
      res.status(200).json({
        day,
        suppressedEvents: counts.get(suppressedCountKey) ?? 0,
        suppressedSubjects: list.suppressedCount,
        staleSeconds: privacy.staleSeconds,
      });
    },
  },
];
