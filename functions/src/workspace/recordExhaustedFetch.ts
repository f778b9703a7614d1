import type { PushedMessage } from '../lib/pushedMessage.ts';
import { decodeFetchRequest } from './fetchMessage.ts';
import type { WorkspaceDeps } from './workspaceDeps.ts';

export type ExhaustedFetchOutcome =
  { kind: 'recorded' } | { kind: 'skipped'; reason: string } | { kind: 'rejected'; reason: string };

/**
 * Pub/Sub gave up on a fetch: the window it was reading is marked as a gap on the
 * source, for operators to see. Nothing is lost (the cursor still points at the
 * window, and the next poll resumes it); the gap clears when that window completes.
 */
export async function recordExhaustedFetch(
  message: PushedMessage,
  deps: Pick<WorkspaceDeps, 'sources' | 'now' | 'logger'>,
): Promise<ExhaustedFetchOutcome> {
  const decoded = decodeFetchRequest(message.data);
  if (!decoded.ok) return { kind: 'rejected', reason: decoded.reason };
  const { sourceId, application } = decoded.request;
  const source = await deps.sources.get(sourceId);
  if (!source) return { kind: 'skipped', reason: 'source_deleted' };
  const stored = await deps.sources.getCursor(sourceId, application);
  const now = deps.now();
  const start = stored?.cursor.window?.start ?? stored?.cursor.cursor ?? source.startAt;
  const end = stored?.cursor.window?.end ?? now;
  await deps.sources.recordProgress(sourceId, {
    addGap: {
      application,
      start,
      end,
      at: now,
      reason: source.lastError?.message ?? 'the fetch failed every attempt',
    },
  });
  deps.logger.warn({ sourceId, application }, 'workspace fetch exhausted; window marked as a gap');
  return { kind: 'recorded' };
}
