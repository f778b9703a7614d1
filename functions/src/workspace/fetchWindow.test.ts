import { describe, expect, it } from 'vitest';
import {
  afterPage,
  backoffSeconds,
  initialCursor,
  isDue,
  nextWindow,
  type FetchCursor,
} from './fetchWindow.ts';

const t = (iso: string) => new Date(`2026-11-01T${iso}Z`);
const settings = { overlapSeconds: 900, maxWindowSeconds: 6 * 3600, startAt: t('00:00:00') };

describe('nextWindow', () => {
  it('reads from the cursor minus the overlap to now minus the lag', () => {
    const cursor = initialCursor('login', t('10:00:00'));
    expect(nextWindow(cursor, t('10:30:00'), 600, settings)).toEqual({
      kind: 'fetch',
      window: { start: t('09:45:00'), end: t('10:20:00') },
    });
  });

  it('never starts before the source start', () => {
    const cursor = initialCursor('login', t('00:05:00'));
    const plan = nextWindow(cursor, t('01:00:00'), 300, settings);
    expect(plan).toMatchObject({ kind: 'fetch', window: { start: t('00:00:00') } });
  });

  it('counts from the start when the cursor is older than it', () => {
    const cursor = initialCursor('login', new Date('2026-01-01T00:00:00Z'));
    expect(nextWindow(cursor, t('12:00:00'), 300, settings)).toEqual({
      kind: 'fetch',
      window: { start: t('00:00:00'), end: t('06:00:00') },
    });
  });

  it('waits while now minus the lag has not passed the cursor', () => {
    const cursor = initialCursor('drive', t('10:00:00'));
    expect(nextWindow(cursor, t('12:00:00'), 4 * 3600, settings)).toEqual({
      kind: 'wait',
      until: t('14:00:00'),
    });
  });

  it('caps a window, so a long pause is caught up in steps', () => {
    const cursor = initialCursor('admin', t('00:00:00'));
    const plan = nextWindow(cursor, t('23:00:00'), 300, settings);
    expect(plan).toMatchObject({ kind: 'fetch', window: { end: t('06:00:00') } });
  });

  it('resumes the window in progress at its saved page', () => {
    const cursor: FetchCursor = {
      ...initialCursor('admin', t('10:00:00')),
      window: { start: t('09:45:00'), end: t('10:20:00') },
      pageToken: 'page-3',
    };
    expect(nextWindow(cursor, t('11:00:00'), 300, settings)).toEqual({
      kind: 'resume',
      window: { start: t('09:45:00'), end: t('10:20:00') },
      pageToken: 'page-3',
    });
  });
});

describe('afterPage', () => {
  const window = { start: t('09:45:00'), end: t('10:20:00') };
  const cursor = initialCursor('admin', t('10:00:00'));

  it('keeps the cursor and saves the page token while pages remain', () => {
    const next = afterPage(cursor, window, { nextPageToken: 'p2', events: 1000 }, t('10:30:00'));
    expect(next).toMatchObject({
      cursor: t('10:00:00'),
      window,
      pageToken: 'p2',
      pagesInWindow: 1,
      eventsFetched: 1000,
    });
  });

  it('moves the cursor to the window end after the last page', () => {
    const middle = afterPage(cursor, window, { nextPageToken: 'p2', events: 1000 }, t('10:30:00'));
    const done = afterPage(middle, window, { nextPageToken: undefined, events: 5 }, t('10:31:00'));
    expect(done).toEqual({
      application: 'admin',
      cursor: t('10:20:00'),
      window: null,
      pageToken: null,
      pagesInWindow: 0,
      eventsFetched: 1005,
      lastCompletedAt: t('10:31:00'),
    });
  });
});

describe('isDue', () => {
  it.each([
    ['active', '10:00:00', true],
    ['active', '10:00:01', false],
    ['backing_off', '09:59:00', true],
    ['backing_off', '10:05:00', false],
    ['credentials_invalid', '09:00:00', false],
    ['paused', '09:00:00', false],
  ] as const)('%s with next poll at %s is due: %s', (status, next, due) => {
    expect(isDue({ status, nextPollAt: t(next) }, t('10:00:00'))).toBe(due);
  });
});

describe('backoffSeconds', () => {
  it.each([
    [1, 60],
    [2, 120],
    [3, 240],
    [7, 3600],
    [100, 3600],
  ])('after %i failures waits %i s', (failures, seconds) => {
    expect(backoffSeconds(failures, { baseSeconds: 60, maxSeconds: 3600 })).toBe(seconds);
  });
});
