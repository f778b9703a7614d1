import { describe, expect, it } from 'vitest';
import { dayCount, daysBetween, isIsoDate } from './dates.ts';
import {
  parseMetricsQuery,
  parseSitesQuery,
  parseSiteStatsQuery,
  parseStatsQuery,
} from './metricsQuery.ts';

const today = '2026-03-10';

describe('dates', () => {
  it.each([
    ['2026-02-28', true],
    ['2028-02-29', true],
    ['2026-02-29', false],
    ['2026-13-01', false],
    ['2026-1-01', false],
    ['20260101', false],
    ['', false],
  ])('%s is a date: %s', (value, valid) => {
    expect(isIsoDate(value)).toBe(valid);
  });

  it('lists the days of a range across a month end, both ends included', () => {
    expect(daysBetween('2026-02-27', '2026-03-02')).toEqual([
      '2026-02-27',
      '2026-02-28',
      '2026-03-01',
      '2026-03-02',
    ]);
    expect(dayCount('2028-01-01', '2028-12-31')).toBe(366);
  });
});

describe('parseMetricsQuery', () => {
  it.each([
    ['no date: today', {}, { from: today, to: today, eventType: undefined }],
    [
      'one date',
      { date: '2026-03-01' },
      { from: '2026-03-01', to: '2026-03-01', eventType: undefined },
    ],
    [
      'a range and a type',
      { from: '2026-03-01', to: '2026-03-05', eventType: 'page.viewed' },
      { from: '2026-03-01', to: '2026-03-05', eventType: 'page.viewed' },
    ],
    [
      'a leap year',
      { from: '2028-01-01', to: '2028-12-31' },
      { from: '2028-01-01', to: '2028-12-31', eventType: undefined },
    ],
  ])('reads %s', (_, query, expected) => {
    expect(parseMetricsQuery(query, today)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['a date that does not exist', { date: '2026-02-30' }, 'date'],
    ['a date in another format', { date: '03/01/2026' }, 'date'],
    ['an empty date', { date: '' }, 'date'],
    ['a bad from', { from: 'yesterday', to: '2026-03-01' }, 'from'],
    ['a bad to', { from: '2026-03-01', to: '2026-03-32' }, 'to'],
    ['from without to', { from: '2026-03-01' }, 'to'],
    ['to without from', { to: '2026-03-01' }, 'from'],
    ['date with a range', { date: '2026-03-01', from: '2026-03-01', to: '2026-03-02' }, 'date'],
    ['an inverted range', { from: '2026-03-05', to: '2026-03-01' }, 'to'],
    ['a range over a year', { from: '2025-01-01', to: '2026-01-02' }, 'to'],
    ['a bad event type', { eventType: 'Page Viewed' }, 'eventType'],
    ['an event type too long', { eventType: `a.${'b'.repeat(100)}` }, 'eventType'],
    ['a parameter given twice', { date: ['2026-03-01', '2026-03-02'] }, 'date'],
    ['an unknown parameter', { day: '2026-03-01' }, 'day'],
  ])('refuses %s', (_, query, field) => {
    const parsed = parseMetricsQuery(query, today);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? [] : parsed.errors.map((e) => e.field)).toEqual([field]);
  });
});

describe('parseStatsQuery', () => {
  it('reads a site and a date, today by default', () => {
    expect(parseStatsQuery({ siteId: 'shop', date: '2026-03-01' }, today)).toEqual({
      ok: true,
      value: { siteId: 'shop', date: '2026-03-01' },
    });
    expect(parseStatsQuery({ siteId: 'shop' }, today)).toEqual({
      ok: true,
      value: { siteId: 'shop', date: today },
    });
  });

  it.each([
    ['no site', { date: '2026-03-01' }, 'siteId'],
    ['an empty site', { siteId: '' }, 'siteId'],
    ['a site id too long', { siteId: 'x'.repeat(201) }, 'siteId'],
    ['a bad date', { siteId: 'shop', date: '2026-02-30' }, 'date'],
    ['a site given twice', { siteId: ['a', 'b'] }, 'siteId'],
    ['an unknown parameter', { siteId: 'shop', from: '2026-03-01' }, 'from'],
  ])('refuses %s', (_, query, field) => {
    const parsed = parseStatsQuery(query, today);
    expect(parsed.ok ? [] : parsed.errors.map((e) => e.field)).toEqual([field]);
  });
});

describe('parseSiteStatsQuery', () => {
  it('reads one day as parseStatsQuery does, or a range with from and to', () => {
    expect(parseSiteStatsQuery({ siteId: 'shop' }, today)).toEqual({
      ok: true,
      value: { siteId: 'shop', date: today },
    });
    expect(parseSiteStatsQuery({ siteId: 'shop', from: '2026-03-01', to: today }, today)).toEqual({
      ok: true,
      value: { siteId: 'shop', from: '2026-03-01', to: today },
    });
  });

  it.each([
    ['no site with a range', { from: '2026-03-01', to: today }, ['siteId']],
    ['from without to', { siteId: 'shop', from: '2026-03-01' }, ['to']],
    ['to without from', { siteId: 'shop', to: '2026-03-01' }, ['from']],
    ['a date beside a range', { siteId: 'shop', date: today, from: today, to: today }, ['date']],
    ['a range backwards', { siteId: 'shop', from: today, to: '2026-03-01' }, ['to']],
    ['a range over a year', { siteId: 'shop', from: '2025-01-01', to: today }, ['to']],
    ['a bad day', { siteId: 'shop', from: '2026-02-30', to: today }, ['from']],
    ['an unknown parameter', { siteId: 'shop', form: '2026-03-01' }, ['form']],
  ])('refuses %s', (_, query, fields) => {
    const parsed = parseSiteStatsQuery(query, today);
    expect(parsed.ok ? [] : parsed.errors.map((e) => e.field)).toEqual(fields);
  });
});

describe('parseSitesQuery', () => {
  it('covers the last 30 days through today by default, or the range given', () => {
    expect(parseSitesQuery({}, today)).toEqual({
      ok: true,
      value: { from: '2026-02-09', to: today },
    });
    expect(parseSitesQuery({ date: '2026-03-01' }, today)).toEqual({
      ok: true,
      value: { from: '2026-03-01', to: '2026-03-01' },
    });
  });

  it.each([
    [{ from: '2026-03-01' }, 'to'],
    [{ siteId: 'shop' }, 'siteId'],
    [{ date: 'today' }, 'date'],
  ])('refuses %j naming %s', (query, field) => {
    const parsed = parseSitesQuery(query, today);
    expect(parsed.ok ? [] : parsed.errors.map((e) => e.field)).toEqual([field]);
  });
});
