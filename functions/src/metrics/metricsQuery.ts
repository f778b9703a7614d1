import { eventTypePattern, eventTypeRule } from '../lib/eventEnvelope.ts';
import type { FieldError } from '../lib/http.ts';
import { addDays, dayCount, isIsoDate } from './dates.ts';

/** The longest range one request may ask for: a leap year. */
export const maxRangeDays = 366;

export type DayRange = { from: string; to: string };
export type MetricsQuery = DayRange & { eventType: string | undefined };
export type StatsQuery = { siteId: string; date: string };
export type SiteRangeQuery = DayRange & { siteId: string };

/** Days the sites list covers when no range is given: the last 30, today included. */
export const defaultSitesDays = 30;

export type Parsed<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

type RawQuery = Record<string, unknown>;

/**
 * `date=`, or `from=` and `to=` (both included), and an optional `eventType=`. No
 * date at all means today. Every problem names its parameter.
 */
export function parseMetricsQuery(query: RawQuery, today: string): Parsed<MetricsQuery> {
  const errors: FieldError[] = [];
  const values = singleValues(query, ['date', 'from', 'to', 'eventType'], errors);
  const range = parseDayRange(values, today, errors);
  const eventType = values.eventType;
  if (eventType !== undefined && (eventType.length > 100 || !eventTypePattern.test(eventType))) {
    errors.push({ field: 'eventType', message: eventTypeRule });
  }
  if (errors.length > 0 || !range) return { ok: false, errors };
  return { ok: true, value: { ...range, eventType } };
}

/** `siteId=` (required) and `date=` (today when absent). */
export function parseStatsQuery(query: RawQuery, today: string): Parsed<StatsQuery> {
  const errors: FieldError[] = [];
  const values = singleValues(query, ['siteId', 'date'], errors);
  const siteId = checkSiteId(values.siteId, errors);
  const date = values.date ?? today;
  if (!isIsoDate(date)) errors.push({ field: 'date', message: 'must be a date as YYYY-MM-DD' });
  if (errors.length > 0 || siteId === undefined) return { ok: false, errors };
  return { ok: true, value: { siteId, date } };
}

/**
 * `siteId=` (required), and `date=` for one day (today when absent) or `from=` and
 * `to=` for a range, whose answer has each day and the totals of the span.
 */
export function parseSiteStatsQuery(
  query: RawQuery,
  today: string,
): Parsed<StatsQuery | SiteRangeQuery> {
  const errors: FieldError[] = [];
  const values = singleValues(query, ['siteId', 'date', 'from', 'to'], errors);
  const siteId = checkSiteId(values.siteId, errors);
  const range = parseDayRange(values, today, errors);
  if (errors.length > 0 || siteId === undefined || !range) return { ok: false, errors };
  // Without from and to it is one day, answered in that shape.
  if (values.from === undefined) return { ok: true, value: { siteId, date: range.from } };
  return { ok: true, value: { siteId, ...range } };
}

/** `date=`, or `from=` and `to=`; the last 30 days through today when neither is given. */
export function parseSitesQuery(query: RawQuery, today: string): Parsed<DayRange> {
  const errors: FieldError[] = [];
  const values = singleValues(query, ['date', 'from', 'to'], errors);
  const given = Object.values(values).some((value) => value !== undefined);
  const range = given
    ? parseDayRange(values, today, errors)
    : { from: addDays(today, 1 - defaultSitesDays), to: today };
  if (errors.length > 0 || !range) return { ok: false, errors };
  return { ok: true, value: range };
}

/** A site id is required, not empty, and at most 200 characters, as on events. */
function checkSiteId(siteId: string | undefined, errors: FieldError[]): string | undefined {
  const named = errors.some((error) => error.field === 'siteId');
  if ((siteId === undefined && !named) || siteId === '') {
    errors.push({ field: 'siteId', message: 'required' });
    return undefined;
  }
  if (siteId !== undefined && siteId.length > 200) {
    errors.push({ field: 'siteId', message: 'at most 200 characters' });
    return undefined;
  }
  return siteId;
}

/**
 * A range from `date`, or `from` and `to`; today when none is given. Shared by the API
 * and the on-demand recomputation, so both accept the same ranges.
 */
export function parseDayRange(
  values: { date?: string | undefined; from?: string | undefined; to?: string | undefined },
  today: string,
  errors: FieldError[],
): DayRange | undefined {
  const { date, from, to } = values;
  const before = errors.length;
  if (date !== undefined && (from !== undefined || to !== undefined)) {
    errors.push({ field: 'date', message: 'give date, or from and to, not both' });
    return undefined;
  }
  for (const [field, value] of [
    ['date', date],
    ['from', from],
    ['to', to],
  ] as const) {
    if (value !== undefined && !isIsoDate(value)) {
      errors.push({ field, message: 'must be a date as YYYY-MM-DD' });
    }
  }
  if (from !== undefined && to === undefined)
    errors.push({ field: 'to', message: 'required with from' });
  if (to !== undefined && from === undefined)
    errors.push({ field: 'from', message: 'required with to' });
  if (errors.length > before) return undefined;
  if (date !== undefined) return { from: date, to: date };
  if (from === undefined || to === undefined) return { from: today, to: today };
  if (to < from) {
    errors.push({ field: 'to', message: 'must not be before from' });
    return undefined;
  }
  if (dayCount(from, to) > maxRangeDays) {
    errors.push({ field: 'to', message: `the range is at most ${maxRangeDays} days` });
    return undefined;
  }
  return { from, to };
}

/** Each known parameter at most once, as text; unknown parameters are errors. */
function singleValues<K extends string>(
  query: RawQuery,
  known: readonly K[],
  errors: FieldError[],
): Partial<Record<K, string>> {
  const values: Partial<Record<K, string>> = {};
  for (const [name, value] of Object.entries(query)) {
    if (!(known as readonly string[]).includes(name)) {
      errors.push({ field: name, message: `unknown parameter; use ${known.join(', ')}` });
      continue;
    }
    if (typeof value !== 'string') {
      errors.push({ field: name, message: 'give it once, as text' });
      continue;
    }
    values[name as K] = value;
  }
  return values;
}
