import type { Request } from '@google-cloud/functions-framework';
import type { z } from 'zod';
import { defaults } from '../lib/defaults.ts';
import { HttpError, requireJsonContentType, type FieldError } from '../lib/http.ts';
import { isSourceId, type WorkspaceSource } from './source.ts';
import type { SourceStore } from './sourceStore.ts';

/** What the source routes share in reading a request: the body, the id, the source. */

/** Validates a JSON body; every problem names its field (an unknown field by its name). */
export function parseSourceBody<T>(req: Request, schema: z.ZodType<T>): T {
  requireJsonContentType(req);
  const parsed = schema.safeParse(req.body);
  if (parsed.success) return parsed.data;
  throw invalid(
    parsed.error.issues.slice(0, 20).flatMap((issue): FieldError[] => {
      const path = issue.path.map(String).join('.');
      if (issue.code === 'unrecognized_keys') {
        return issue.keys.map((key) => ({
          field: path ? `${path}.${key}` : key,
          message: 'unknown field',
        }));
      }
      return [{ field: path || '(root)', message: issue.message }];
    }),
  );
}

export function invalid(fields: FieldError[]): HttpError {
  return new HttpError(400, 'invalid_request', 'The request is invalid.', { fields });
}

/**
 * Where a new source starts fetching: its `startTime`, or `workspaceDefaultLookbackHours`
 * back, so a user who connects Workspace sees the past day at once rather than nothing
 * until the next activities arrive (hours, for applications whose Reports data lags).
 */
export function sourceStartAt(startTime: string | undefined, now: Date): Date {
  if (startTime === undefined)
    return new Date(now.getTime() - defaults.workspaceDefaultLookbackHours * 3_600_000);
  const startAt = new Date(startTime);
  checkStartTime(startAt, now);
  return startAt;
}

function checkStartTime(startAt: Date, now: Date): void {
  const maxLookbackDays = defaults.workspaceRetentionDays;
  if (startAt > now) throw invalid([{ field: 'startTime', message: 'must not be in the future' }]);
  if (now.getTime() - startAt.getTime() > maxLookbackDays * 86_400_000) {
    throw invalid([
      { field: 'startTime', message: `must be within the last ${maxLookbackDays} days` },
    ]);
  }
}

export function requireSecretBox<T>(box: T | undefined): T {
  if (!box) {
    throw new HttpError(
      503,
      'not_configured',
      'Workspace credentials need ENCRYPTION_KEY to be configured.',
    );
  }
  return box;
}

export function knownSourceId(id: string | undefined): string {
  if (!id || !isSourceId(id)) throw sourceNotFound();
  return id;
}

export async function findSource(
  sources: SourceStore,
  id: string | undefined,
): Promise<WorkspaceSource> {
  const source = await sources.get(knownSourceId(id));
  if (!source) throw sourceNotFound();
  return source;
}

export function sourceNotFound(): HttpError {
  return new HttpError(404, 'not_found', 'No such source.');
}
