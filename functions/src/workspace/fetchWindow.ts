import type { SourceStatus } from './source.ts';

/** Where fetching an application of a source stands (`workspace_sources/{id}/cursors/{app}`). */
export type FetchCursor = {
  application: string;
  /** Every activity before this time has been fetched (windows are complete). */
  cursor: Date;
  /** The window being fetched, when a fetch stopped between its pages. */
  window: { start: Date; end: Date } | null;
  /** The page to fetch next inside `window`. */
  pageToken: string | null;
  pagesInWindow: number;
  eventsFetched: number;
  lastCompletedAt: Date | null;
};

export type WindowSettings = { overlapSeconds: number; maxWindowSeconds: number };

export type NextWindow =
  | { kind: 'resume'; window: { start: Date; end: Date }; pageToken: string | null }
  | { kind: 'fetch'; window: { start: Date; end: Date } }
  | { kind: 'wait'; until: Date };

/**
 * The window to fetch next: the one in progress, or [cursor − overlap, now − lag], at
 * most `maxWindowSeconds` long. The API shows an activity only after the application's
 * lag, so a window ending `lag` ago is complete when it is read; the overlap catches
 * what arrives later than that.
 */
export function nextWindow(
  cursor: FetchCursor,
  now: Date,
  lagSeconds: number,
  settings: WindowSettings & { startAt: Date },
): NextWindow {
  if (cursor.window) {
    return { kind: 'resume', window: cursor.window, pageToken: cursor.pageToken };
  }
  const latestEnd = now.getTime() - lagSeconds * 1000;
  if (latestEnd <= cursor.cursor.getTime()) {
    return { kind: 'wait', until: new Date(cursor.cursor.getTime() + lagSeconds * 1000) };
  }
  const start = Math.max(
    cursor.cursor.getTime() - settings.overlapSeconds * 1000,
    settings.startAt.getTime(),
  );
  // A cursor older than the start (a source paused past the API's retention) counts from it.
  const base = Math.max(cursor.cursor.getTime(), settings.startAt.getTime());
  const end = Math.min(latestEnd, base + settings.maxWindowSeconds * 1000);
  return { kind: 'fetch', window: { start: new Date(start), end: new Date(end) } };
}

/** The cursor after a page: the window stays open until its last page is read. */
export function afterPage(
  cursor: FetchCursor,
  window: { start: Date; end: Date },
  page: { nextPageToken: string | undefined; events: number },
  now: Date,
): FetchCursor {
  const eventsFetched = cursor.eventsFetched + page.events;
  if (page.nextPageToken) {
    return {
      ...cursor,
      window,
      pageToken: page.nextPageToken,
      pagesInWindow: (cursor.window ? cursor.pagesInWindow : 0) + 1,
      eventsFetched,
    };
  }
  // The API answers newest first: only the last page proves the window complete.
  return {
    ...cursor,
    cursor: window.end,
    window: null,
    pageToken: null,
    pagesInWindow: 0,
    eventsFetched,
    lastCompletedAt: now,
  };
}

export function initialCursor(application: string, startAt: Date): FetchCursor {
  return {
    application,
    cursor: startAt,
    window: null,
    pageToken: null,
    pagesInWindow: 0,
    eventsFetched: 0,
    lastCompletedAt: null,
  };
}

/** Whether the scheduler tick should poll a source now. */
export function isDue(source: { status: SourceStatus; nextPollAt: Date }, now: Date): boolean {
  return (
    (source.status === 'active' || source.status === 'backing_off') &&
    source.nextPollAt.getTime() <= now.getTime()
  );
}

/** Seconds to wait after `failures` quota or server errors in a row: doubling, capped. */
export function backoffSeconds(
  failures: number,
  settings: { baseSeconds: number; maxSeconds: number },
): number {
  const exponent = Math.max(0, Math.min(failures - 1, 30));
  return Math.min(settings.baseSeconds * 2 ** exponent, settings.maxSeconds);
}
