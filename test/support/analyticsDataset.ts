import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '../../functions/src/lib/eventEnvelope.ts';
import { endOfDay, startOfDay } from '../../functions/src/metrics/dates.ts';

/** A deterministic stream of numbers in [0, 1), so a data set can be generated again. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const types = [
  'page.viewed',
  'page.viewed',
  'page.viewed',
  'page.viewed',
  'page.viewed',
  'page.viewed',
  'signup.completed',
  'checkout.completed',
  'button.clicked',
  'search.performed',
];
const sites = ['shop', 'blog', 'docs'];
const paths = ['/', '/pricing', '/docs', '/blog/launch', '/signup', '/about', '/careers', '/a/b'];

/**
 * Analytics events spread over `days`, each at a random time of its day (not after
 * `now`): page views and other types, on three sites or none, by forty users or
 * anonymous, on eight paths or none.
 */
export function generateEvents(options: {
  count: number;
  days: readonly string[];
  now: Date;
  seed: number;
}): EventEnvelope[] {
  const random = seeded(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const receivedAt = options.now.toISOString();
  return Array.from({ length: options.count }, (_, i) => {
    const day = options.days[i % options.days.length]!;
    const start = startOfDay(day).getTime();
    const end = Math.min(endOfDay(day).getTime() - 1, options.now.getTime());
    const occurredAt = new Date(start + Math.floor(random() * (end - start + 1))).toISOString();
    const event: EventEnvelope = {
      eventId: randomUUID(),
      eventType: pick(types),
      payload: { i },
      occurredAt,
      receivedAt,
      source: 'api',
      producer: 'key_load',
    };
    if (random() > 0.1) event.siteId = pick(sites);
    if (random() > 0.1) event.userId = `u-${Math.floor(random() * 40)}`;
    if (random() > 0.05) event.path = pick(paths);
    return event;
  });
}

type Analytic = Pick<
  EventEnvelope,
  'eventId' | 'eventType' | 'occurredAt' | 'siteId' | 'userId' | 'path'
>;

function unique(events: readonly Analytic[]): Analytic[] {
  return [...new Map(events.map((event) => [event.eventId, event])).values()];
}

/** What `GET /v1/metrics?from=&to=` must answer for these events. */
export function expectedMetrics(
  events: readonly Analytic[],
  days: readonly string[],
): { count: number; data: { date: string; metrics: { eventType: string; count: number }[] }[] } {
  const counts = new Map<string, Map<string, number>>();
  for (const event of unique(events)) {
    const day = event.occurredAt.slice(0, 10);
    const byType = counts.get(day) ?? new Map<string, number>();
    byType.set(event.eventType, (byType.get(event.eventType) ?? 0) + 1);
    counts.set(day, byType);
  }
  const data = days.map((date) => ({
    date,
    metrics: [...(counts.get(date) ?? new Map<string, number>())]
      .map(([eventType, count]) => ({ eventType, count }))
      .sort((a, b) => b.count - a.count || byCodePoint(a.eventType, b.eventType)),
  }));
  return { count: data.length, data };
}

/** What `GET /v1/stats?siteId=&date=` must answer for these events. */
export function expectedStats(
  events: readonly Analytic[],
  siteId: string,
  date: string,
  topPaths = 10,
): {
  siteId: string;
  date: string;
  totalViews: number;
  uniqueUsers: number;
  topPaths: { path: string; views: number }[];
} {
  const views = unique(events).filter(
    (e) => e.eventType === 'page.viewed' && e.siteId === siteId && e.occurredAt.startsWith(date),
  );
  const byPath = new Map<string, number>();
  for (const view of views) {
    if (view.path !== undefined) byPath.set(view.path, (byPath.get(view.path) ?? 0) + 1);
  }
  return {
    siteId,
    date,
    totalViews: views.length,
    uniqueUsers: new Set(views.flatMap((v) => (v.userId === undefined ? [] : [v.userId]))).size,
    topPaths: [...byPath]
      .map(([path, count]) => ({ path, views: count }))
      .sort((a, b) => b.views - a.views || byCodePoint(a.path, b.path))
      .slice(0, topPaths),
  };
}

/** What `GET /v1/sites?from=&to=` lists for these events (the page views as the API counts them). */
export function expectedSites(
  events: readonly Analytic[],
  from: string,
  to: string,
): { siteId: string; events: number; views: number; lastSeen: string }[] {
  const seen = new Map<
    string,
    { siteId: string; events: number; views: number; lastSeen: string }
  >();
  for (const event of unique(events)) {
    const day = event.occurredAt.slice(0, 10);
    if (event.siteId === undefined || day < from || day > to) continue;
    const site = seen.get(event.siteId) ?? {
      siteId: event.siteId,
      events: 0,
      views: 0,
      lastSeen: day,
    };
    site.events += 1;
    if (event.eventType === 'page.viewed') site.views += 1;
    if (day > site.lastSeen) site.lastSeen = day;
    seen.set(event.siteId, site);
  }
  return [...seen.values()].sort(
    (a, b) => b.views - a.views || b.events - a.events || byCodePoint(a.siteId, b.siteId),
  );
}

/** What `GET /v1/stats?siteId=&from=&to=` must answer: the span's totals and each day. */
export function expectedSiteRange(
  events: readonly Analytic[],
  siteId: string,
  days: readonly string[],
): Record<string, unknown> {
  const from = days[0]!;
  const to = days[days.length - 1]!;
  const inSpan = unique(events).filter((e) => {
    const day = e.occurredAt.slice(0, 10);
    return day >= from && day <= to;
  });
  // The span's figures are a day's figures over every event of the span.
  const span = expectedStats(
    inSpan.map((e) => ({ ...e, occurredAt: `${from}T00:00:00.000Z` })),
    siteId,
    from,
  );
  return {
    siteId,
    from,
    to,
    totalViews: span.totalViews,
    uniqueUsers: span.uniqueUsers,
    topPaths: span.topPaths,
    days: days.map((date) => {
      const { totalViews, uniqueUsers } = expectedStats(events, siteId, date);
      return { date, totalViews, uniqueUsers };
    }),
  };
}

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
