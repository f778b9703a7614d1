import type { Firestore } from '@google-cloud/firestore';
import { topics } from '../../../infra/spec.ts';
import { describe, PipelineError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { nameBasedUuid } from '../lib/nameBasedUuid.ts';
import { publishAll, type Publisher } from '../lib/publisher.ts';
import type { PushedMessage } from '../lib/pushedMessage.ts';
import type { Warehouse } from '../warehouse/warehouse.ts';
import { encodeDeliveryMessage } from '../webhooks/deliveryMessage.ts';
import type { WebhookRouter } from '../webhooks/endpointIndex.ts';
import { eraseFromFirestore, eraseFromUploads } from './firestoreErasure.ts';
import type { FirestorePrivacyListStore } from '../privacy/privacyListStore.ts';
import { deletes, finalStatus, listOps, type Receipt, type Regulation } from './regulation.ts';
import type { RegulationStore } from './regulationStore.ts';

/** The event type receivers subscribe to, to hear of each erased subject. */
export const subjectErasedEventType = 'subject.erased';

export type RegulationDeps = {
  regulations: RegulationStore;
  list: Pick<FirestorePrivacyListStore, 'appendForRegulation'>;
  firestore: Firestore;
  warehouse: Pick<Warehouse, 'eraseSubjects'>;
  webhooks: WebhookRouter;
  publisher: Publisher;
  now: () => Date;
  /** How stale an instance's copy of the list may be: sweeps start only after it. */
  listMaxAgeMs: number;
  sweepMarginMs: number;
  tombstoneDays: number;
  erasedEventTtlDays: number;
  maxAttempts: number;
  sleep?: (ms: number) => Promise<void>;
  logger: Logger;
};

export type RegulationOutcome =
  | { kind: 'finished'; status: Regulation['status'] }
  | { kind: 'skipped'; reason: 'unknown' | 'already_finished' };

export function regulationMessage(regulationId: string) {
  return { data: Buffer.from(JSON.stringify({ regulationId })), attributes: { regulationId } };
}

export function regulationIdOf(message: PushedMessage): string | undefined {
  try {
    const parsed = JSON.parse(message.data.toString('utf8')) as { regulationId?: unknown };
    return typeof parsed.regulationId === 'string' ? parsed.regulationId : undefined;
  } catch {
    return message.attributes.regulationId;
  }
}

/**
 * Works one regulation: first its change to the suppression list (once, with the
 * regulation marked RUNNING), so every instance drops the subject's events from then on;
 * then, for a deletion, once every instance has surely read that change, a sweep of
 * every store, the receivers told, and a receipt per store. A push that fails is
 * delivered again and sweeps again: a sweep finds what is left, so nothing is counted
 * twice. After `maxAttempts` the stores that still fail are reported as such.
 */
export async function runRegulation(
  message: PushedMessage,
  deps: RegulationDeps,
): Promise<RegulationOutcome> {
  const regulationId = regulationIdOf(message);
  const regulation = regulationId ? await deps.regulations.get(regulationId) : undefined;
  if (!regulation) {
    deps.logger.warn({ regulationId }, 'regulation message for no regulation acknowledged');
    return { kind: 'skipped', reason: 'unknown' };
  }
  if (regulation.finishedAt) return { kind: 'skipped', reason: 'already_finished' };
  const attempt = await deps.regulations.countAttempt(regulation.regulationId, deps.now());
  const listedAt = await deps.list.appendForRegulation(
    regulation.regulationId,
    listOps(regulation.type),
    {
      hashes: regulation.subjectHashes,
      at: regulation.createdAt,
      until: new Date(regulation.createdAt.getTime() + deps.tombstoneDays * 86_400_000),
    },
    deps.now(),
  );
  const listed: Receipt = {
    store: 'suppressionList',
    searched: `${regulation.subjectCount} subject(s) as keyed hashes: ${listOps(regulation.type).join(', ')}`,
    removed: 0,
    at: listedAt,
    error: null,
  };
  if (!deletes(regulation.type)) {
    await deps.regulations.finish(regulation.regulationId, 'FINISHED', [listed], deps.now());
    return { kind: 'finished', status: 'FINISHED' };
  }
  const waitMs = listedAt.getTime() + deps.listMaxAgeMs + deps.sweepMarginMs - deps.now().getTime();
  if (waitMs > 0) await (deps.sleep ?? sleep)(waitMs);
  const subjects = await deps.regulations.subjects(regulation.regulationId);
  const receipts = await sweep(regulation, subjects, deps);
  const failed = receipts.filter((receipt) => receipt.error !== null);
  if (failed.length > 0 && attempt < deps.maxAttempts) {
    throw new PipelineError(
      'erasure_incomplete',
      failed.map((r) => `${r.store}: ${r.error}`).join('; '),
      {
        retriable: true,
      },
    );
  }
  const status = finalStatus(receipts);
  await deps.regulations.finish(regulation.regulationId, status, [listed, ...receipts], deps.now());
  deps.logger.info(
    { regulationId: regulation.regulationId, status, subjects: subjects.length },
    'regulation finished',
  );
  return { kind: 'finished', status };
}

/** Every store, each on its own: one that fails does not keep the others from running. */
async function sweep(
  regulation: Regulation,
  subjects: readonly string[],
  deps: RegulationDeps,
): Promise<Receipt[]> {
  const now = deps.now();
  const failedAs = (stores: Receipt['store'][], error: unknown): Receipt[] =>
    stores.map((store) => ({ store, searched: '', removed: 0, at: now, error: describe(error) }));
  const firestore = await eraseFromFirestore(
    deps.firestore,
    regulation.subjectHashes,
    regulation.regulationId,
    {
      now,
      erasedEventTtlDays: deps.erasedEventTtlDays,
    },
  ).catch((error: unknown) =>
    failedAs(['events', 'deliveries', 'idempotency', 'warehouseRejections'], error),
  );
  const uploads = await eraseFromUploads(deps.firestore, subjects, now).then(
    (receipt) => [receipt],
    (error: unknown) => failedAs(['uploads'], error),
  );
  // The warehouse last: the latest any of the subject's rows can have been loaded.
  const warehouse = await deps.warehouse.eraseSubjects(subjects).then(
    ({ removed, searched }): Receipt[] => [
      { store: 'warehouse', searched, removed, at: deps.now(), error: null },
    ],
    (error: unknown) => failedAs(['warehouse'], error),
  );
  const notified = await notifyReceivers(regulation, subjects, deps).catch((error: unknown) =>
    failedAs(['receivers'], error),
  );
  return [...firestore, ...uploads, ...warehouse, ...notified];
}

/**
 * One signed `subject.erased` delivery per subject and endpoint subscribed to it, through
 * the deliveries topic like every webhook (retried, dead-lettered, logged). Its id is
 * derived from the regulation and subject, so a redelivered regulation sends the same.
 */
async function notifyReceivers(
  regulation: Regulation,
  subjects: readonly string[],
  deps: RegulationDeps,
): Promise<Receipt[]> {
  const endpoints = await deps.webhooks.matching(subjectErasedEventType, 'regulations');
  const now = deps.now().toISOString();
  const messages = endpoints.flatMap((endpointId) =>
    subjects.map((subject) =>
      encodeDeliveryMessage({
        endpointId,
        event: {
          eventId: erasureEventId(regulation.regulationId, subject),
          eventType: subjectErasedEventType,
          payload: {
            subject,
            subjectKind: regulation.subjectKind,
            regulationId: regulation.regulationId,
            regulationType: regulation.type,
          },
          occurredAt: now,
          receivedAt: now,
          processedAt: now,
          source: 'regulations',
          producer: 'regulations',
        },
      }),
    ),
  );
  const settlements = await publishAll(deps.publisher, topics.deliveries.name, messages);
  const failed = settlements.find((settlement) => !settlement.ok);
  if (failed && !failed.ok) throw failed.error;
  return [
    {
      store: 'receivers',
      searched: `${endpoints.length} endpoint(s) subscribed to ${subjectErasedEventType}`,
      removed: 0,
      at: deps.now(),
      error: null,
    },
  ];
}

/** The same regulation and subject always give the same delivery id. */
export function erasureEventId(regulationId: string, subject: string): string {
  return nameBasedUuid(`erasure\n${regulationId}\n${subject}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The dead-letter side: a regulation whose worker never finished is marked FAILED. */
export async function recordFailedRegulation(
  message: PushedMessage,
  deps: Pick<RegulationDeps, 'regulations' | 'now' | 'logger'>,
): Promise<{ kind: 'failed' | 'skipped' }> {
  const regulationId = regulationIdOf(message);
  if (!regulationId) return { kind: 'skipped' };
  const marked = await deps.regulations.fail(
    regulationId,
    'the worker failed every attempt; file the regulation again',
    deps.now(),
  );
  if (marked) deps.logger.error({ regulationId }, 'regulation failed every attempt');
  return { kind: marked ? 'failed' : 'skipped' };
}
