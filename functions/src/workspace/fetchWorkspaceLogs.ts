import { topics } from '../../../infra/spec.ts';
import { defaults } from '../lib/defaults.ts';
import { PipelineError } from '../lib/errors.ts';
import type { EventEnvelope } from '../lib/eventEnvelope.ts';
import { eventMessages } from '../lib/eventMessages.ts';
import type { PushedMessage } from '../lib/pushedMessage.ts';
import { activityToEvents } from './activityEvent.ts';
import { decodeFetchRequest, encodeFetchRequest, type FetchRequest } from './fetchMessage.ts';
import { afterPage, backoffSeconds, initialCursor, nextWindow } from './fetchWindow.ts';
import type { ActivityPage } from './reportsClient.ts';
import { ReportsApiError } from './reportsError.ts';
import { lagFor, type WorkspaceCredentials, type WorkspaceSource } from './source.ts';
import { openCredentials, sealCredentials } from './sourceCredentials.ts';
import type { WorkspaceDeps } from './workspaceDeps.ts';

/** A day short of the API's retention, so a window's start is always still kept. */
const retentionDays = defaults.workspaceRetentionDays - 1;

export type FetchOutcome =
  | {
      kind: 'fetched';
      pages: number;
      published: number;
      windowsCompleted: number;
      continued: boolean;
    }
  | { kind: 'up_to_date' }
  | { kind: 'skipped'; reason: string }
  | { kind: 'superseded' }
  | { kind: 'rejected'; reason: string };

/**
 * `fetchWorkspaceLogs`: fetches one application of one source, page by page, from its
 * cursor. After each page its activities are published (those not seen before) and the
 * page token saved, so a fetch that stops anywhere resumes at the next page. The cursor
 * moves to the window's end only after the last page. Quota and server errors back the
 * source off and throw (Pub/Sub retries); refused credentials stop the source.
 */
export async function fetchWorkspaceLogs(
  message: PushedMessage,
  deps: WorkspaceDeps,
): Promise<FetchOutcome> {
  const decoded = decodeFetchRequest(message.data);
  if (!decoded.ok) {
    deps.logger.warn({ reason: decoded.reason }, 'invalid fetch request acknowledged');
    return { kind: 'rejected', reason: decoded.reason };
  }
  const request = decoded.request;
  const source = await deps.sources.get(request.sourceId);
  const skip = skipReason(source, request);
  if (skip || !source) return { kind: 'skipped', reason: skip ?? 'source_deleted' };
  if (source.status === 'backing_off' && source.nextPollAt > deps.now()) {
    // A redelivery inside the backoff: the API is not asked again before its time.
    throw new PipelineError(
      'backing_off',
      `Backing off until ${source.nextPollAt.toISOString()}.`,
      {
        retriable: true,
      },
    );
  }
  const credentials = openCredentials(deps.secrets, source.id, source.credentialsCiphertext);
  const log = deps.logger.child({ sourceId: source.id, application: request.application });
  await resealIfStale(source, credentials, deps);
  const started = deps.clock();
  const lag = lagFor(source, request.application);
  let pages = 0;
  let published = 0;
  let windowsCompleted = 0;

  for (;;) {
    const now = deps.now();
    // An application added long after the source was created starts within retention.
    const startAt = new Date(
      Math.max(source.startAt.getTime(), now.getTime() - retentionDays * 86_400_000),
    );
    const stored = await deps.sources.getCursor(source.id, request.application);
    const cursor = stored?.cursor ?? initialCursor(request.application, startAt);
    const plan = nextWindow(cursor, now, lag, { ...deps.settings, startAt });
    if (plan.kind === 'wait') {
      await deps.sources.recordProgress(source.id, { lastPolledAt: now });
      return pages === 0 ? { kind: 'up_to_date' } : fetched(false);
    }
    if (deps.clock() - started > deps.settings.fetchBudgetMs) {
      await continueLater(request, deps);
      return fetched(true);
    }
    const pageToken = plan.kind === 'resume' ? (plan.pageToken ?? undefined) : undefined;
    let page: ActivityPage;
    try {
      page = await deps.reports.listPage({
        sourceId: source.id,
        credentialsVersion: source.updatedAt.toISOString(),
        credentials,
        application: request.application,
        startTime: plan.window.start,
        endTime: plan.window.end,
        pageToken,
        maxResults: deps.settings.pageSize,
      });
    } catch (error) {
      return handleFailure(error, source, request, deps, log);
    }
    pages += 1;
    const fresh = await publishFresh(source.id, request.application, page, now, deps);
    published += fresh;
    const next = afterPage(
      cursor,
      plan.window,
      { nextPageToken: page.nextPageToken, events: fresh },
      now,
    );
    if ((await deps.sources.putCursor(source.id, next, stored?.updateTime)) === 'conflict') {
      // Another fetch of the same application moved the cursor: it carries on from there.
      log.info('cursor moved by another fetch; stopping');
      return pages > 1 ? fetched(false) : { kind: 'superseded' };
    }
    const completed = next.window === null;
    if (completed) windowsCompleted += 1;
    // A window that reached now − lag (when it was planned) is the last one this fetch
    // needs; only a window cut short by its maximum length leaves more to catch up on.
    const capped =
      plan.window.end.getTime() >= cursor.cursor.getTime() + deps.settings.maxWindowSeconds * 1000;
    const caughtUp = completed && !capped;
    await deps.sources.recordProgress(source.id, {
      eventsFetched: fresh,
      lastPolledAt: now,
      ...(completed
        ? {
            lastSuccessAt: now,
            lastError: null,
            consecutiveFailures: 0,
            // Only a backoff ends here; a pause set meanwhile is the operator's to lift.
            ...(source.status === 'backing_off' ? { status: 'active', statusReason: null } : {}),
            ...(source.gaps.some((g) => g.application === request.application)
              ? { clearGapsOf: request.application }
              : {}),
          }
        : {}),
    });
    if (caughtUp) return fetched(false);
  }

  function fetched(continued: boolean): FetchOutcome {
    log.info({ pages, published, windowsCompleted, continued }, 'workspace fetch done');
    return { kind: 'fetched', pages, published, windowsCompleted, continued };
  }
}

/** After a key rotation, credentials sealed with the previous key are sealed again with the current one. */
async function resealIfStale(
  source: WorkspaceSource,
  credentials: WorkspaceCredentials,
  deps: WorkspaceDeps,
): Promise<void> {
  const box = deps.secrets;
  if (!box?.isStale(source.credentialsCiphertext)) return;
  const sealed = sealCredentials(box, source.id, credentials);
  // Only if nobody replaced the credentials meanwhile.
  await deps.sources.update(source.id, (current) =>
    current.credentialsCiphertext === source.credentialsCiphertext
      ? { ...current, credentialsCiphertext: sealed }
      : current,
  );
}

function skipReason(
  source: WorkspaceSource | undefined,
  request: FetchRequest,
): string | undefined {
  if (!source) return 'source_deleted';
  if (!source.applications.includes(request.application as never)) return 'application_not_polled';
  if (source.status === 'credentials_invalid') return 'credentials_invalid';
  if (source.status === 'paused') return 'paused';
  return undefined;
}

/**
 * Publishes the page's activities that were not published before, then remembers them.
 * Should the remembering fail after a publish, a retry publishes the same event ids
 * again, which the processor records once.
 */
async function publishFresh(
  sourceId: string,
  application: string,
  page: ActivityPage,
  now: Date,
  deps: WorkspaceDeps,
): Promise<number> {
  const mapped = new Map<string, EventEnvelope[]>();
  for (const activity of page.items) {
    const result = activityToEvents(sourceId, application, activity, now);
    if (!result.ok) {
      deps.logger.warn({ sourceId, application, reason: result.reason }, 'activity skipped');
      continue;
    }
    mapped.set(result.seenKey, result.envelopes);
  }
  const keys = [...mapped.keys()];
  const seen = await deps.seen.seen(sourceId, keys);
  const fresh = keys.filter((key) => !seen.has(key));
  const envelopes = fresh.flatMap((key) => mapped.get(key) ?? []);
  // A page's events go out as few messages as fit; all must be acknowledged before the
  // activities are remembered as published.
  await Promise.all(
    eventMessages(envelopes, deps.settings.messageLimits).map(({ message }) =>
      deps.publisher.publish(topics.events.name, message),
    ),
  );
  const expireAt = new Date(now.getTime() + deps.settings.seenTtlDays * 86_400_000);
  await deps.seen.remember(sourceId, fresh, expireAt);
  return envelopes.length;
}

async function continueLater(request: FetchRequest, deps: WorkspaceDeps): Promise<void> {
  await deps.publisher.publish(
    topics.workspaceFetch.name,
    encodeFetchRequest({ ...request, reason: 'continuation' }),
  );
}

async function handleFailure(
  error: unknown,
  source: WorkspaceSource,
  request: FetchRequest,
  deps: WorkspaceDeps,
  log: WorkspaceDeps['logger'],
): Promise<FetchOutcome> {
  if (!(error instanceof ReportsApiError)) throw error;
  const now = deps.now();
  const lastError = { code: error.code, message: error.message, at: now };
  if (error.kind === 'credentials') {
    await deps.sources.recordProgress(source.id, {
      status: 'credentials_invalid',
      statusReason: error.message,
      lastError,
      lastPolledAt: now,
    });
    log.warn({ reason: error.message }, 'workspace credentials refused; polling stopped');
    return { kind: 'skipped', reason: 'credentials_invalid' };
  }
  if (error.kind === 'quota' || error.kind === 'server') {
    const failures = source.consecutiveFailures + 1;
    const wait = backoffSeconds(failures, {
      baseSeconds: deps.settings.backoffBaseSeconds,
      maxSeconds: deps.settings.backoffMaxSeconds,
    });
    await deps.sources.recordProgress(source.id, {
      status: 'backing_off',
      statusReason: error.message,
      lastError,
      lastPolledAt: now,
      consecutiveFailures: 'increment',
      nextPollAt: new Date(now.getTime() + wait * 1000),
    });
    log.warn({ status: error.status, backoffSeconds: wait }, 'workspace fetch backing off');
    throw error;
  }
  if (error.kind === 'network') {
    await deps.sources.recordProgress(source.id, { lastError, lastPolledAt: now });
    throw error;
  }
  // A request the API refuses for good (an application the tenant does not have).
  await deps.sources.recordProgress(source.id, { lastError, lastPolledAt: now });
  log.warn({ status: error.status, reason: error.message }, 'workspace fetch refused');
  return { kind: 'skipped', reason: 'request_refused' };
}
