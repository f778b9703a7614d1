import { topics } from '../../../infra/spec.ts';
import type { Publisher } from '../lib/publisher.ts';
import type { PushedMessage } from '../lib/pushedMessage.ts';
import { encodeFetchRequest, type FetchRequest } from './fetchMessage.ts';
import { isDue } from './fetchWindow.ts';
import type { WorkspaceSource } from './source.ts';
import type { SourceStore } from './sourceStore.ts';
import type { WorkspaceDeps } from './workspaceDeps.ts';

export type PollOutcome = { kind: 'polled'; sources: number; fetches: number };

/**
 * `pollWorkspace`, on each scheduler tick: one fetch message per due source and
 * application. A source's next poll is set once its messages are published; if a
 * publish fails the tick throws and its retry publishes them again (a duplicate fetch
 * is harmless: the cursor is written conditionally and activities are deduplicated).
 */
export async function pollWorkspace(
  _message: PushedMessage,
  deps: WorkspaceDeps,
): Promise<PollOutcome> {
  const now = deps.now();
  const due = (await deps.sources.list()).filter((source) => isDue(source, now));
  let fetches = 0;
  for (const source of due) {
    fetches += await requestFetches(source, 'schedule', deps);
  }
  if (due.length > 0) deps.logger.info({ sources: due.length, fetches }, 'workspace poll tick');
  return { kind: 'polled', sources: due.length, fetches };
}

/** Publishes a fetch of each of the source's applications and schedules its next poll. */
export async function requestFetches(
  source: WorkspaceSource,
  reason: FetchRequest['reason'],
  deps: { publisher: Publisher; sources: SourceStore; now: () => Date },
): Promise<number> {
  await Promise.all(
    source.applications.map((application) =>
      deps.publisher.publish(
        topics.workspaceFetch.name,
        encodeFetchRequest({ sourceId: source.id, application, reason }),
      ),
    ),
  );
  const now = deps.now();
  // A backoff already set later than the interval is kept.
  const interval = new Date(now.getTime() + source.logFetchIntervalSeconds * 1000);
  await deps.sources.recordProgress(source.id, {
    nextPollAt:
      source.status === 'backing_off' && source.nextPollAt > interval
        ? source.nextPollAt
        : interval,
  });
  return source.applications.length;
}
