import { describe, expect, it } from 'vitest';
import { eventInputSchema, validateEventInput } from '../ingest/eventInput.ts';
import { HttpError, renameFields } from '../lib/http.ts';
import { trackedEventAnswer, trackedEventToInput } from './websiteAnalytics.ts';
import { presentStats } from './websiteAnalyticsApi.ts';

const readme = {
  site_id: 'site-abc-123',
  event_type: 'page_view',
  path: '/pricing',
  user_id: 'user-xyz-789',
  timestamp: '2025-11-12T19:30:01Z',
};

const theirNames = {
  eventType: 'event_type',
  siteId: 'site_id',
  userId: 'user_id',
  occurredAt: 'timestamp',
};

describe('POST /event onto the event API', () => {
  it.each([
    [
      "the README's example",
      readme,
      {
        eventType: 'page_view',
        siteId: 'site-abc-123',
        path: '/pricing',
        userId: 'user-xyz-789',
        occurredAt: '2025-11-12T19:30:01Z',
        payload: readme,
      },
    ],
    [
      'only the required fields',
      { site_id: 's', event_type: 'page_view' },
      { eventType: 'page_view', siteId: 's', payload: { site_id: 's', event_type: 'page_view' } },
    ],
  ])('maps %s, keeping the body whole as the payload', (_, body, raw) => {
    const mapped = trackedEventToInput(body);
    expect(mapped).toEqual({ ok: true, raw });
    expect(validateEventInput(mapped.ok ? mapped.raw : null, eventInputSchema, 1e6).ok).toBe(true);
  });

  it.each([
    ['a body that is not an object', ['x'], '(root)'],
    ['no site_id', { event_type: 'page_view' }, 'site_id'],
    ['an unknown field', { ...readme, referrer: 'x' }, '(root)'],
  ])('refuses %s, naming the field', (_, body, field) => {
    const mapped = trackedEventToInput(body);
    expect(mapped.ok ? [] : mapped.errors.map((e) => e.field)).toEqual([field]);
  });

  it.each([
    ['no event_type', { site_id: 's' }, 'event_type'],
    ['a timestamp that is not ISO 8601', { ...readme, timestamp: '12/11/2025' }, 'timestamp'],
    ['a timestamp without an offset', { ...readme, timestamp: '2025-11-12T19:30:01' }, 'timestamp'],
    ['a site_id that is not text', { ...readme, site_id: 42 }, 'site_id'],
    ['a path without a leading slash', { ...readme, path: 'pricing' }, 'path'],
    ['an event_type with spaces', { ...readme, event_type: 'page view' }, 'event_type'],
  ])('leaves %s to the event schema, whose error names its field', (_, body, field) => {
    const mapped = trackedEventToInput(body);
    const validated = validateEventInput(mapped.ok ? mapped.raw : null, eventInputSchema, 1e6);
    const errors = validated.ok ? [] : renameFields(validated.errors, theirNames);
    expect(errors.map((e) => e.field)).toEqual([field]);
  });
});

describe('its answers', () => {
  it.each([
    ['accepted', 202, { success: true, eventId: 'e-1' }],
    ['duplicate', 200, { success: true, eventId: 'e-1', duplicate: true }],
  ] as const)('%s → %i', (kind, status, body) => {
    const taken = { kind, eventId: 'e-1', receivedAt: '2026-01-01T00:00:00.000Z', eventType: 't' };
    expect(trackedEventAnswer(taken)).toEqual({ status, body });
  });

  it('a key used with another event → 409', () => {
    expect(() => trackedEventAnswer({ kind: 'conflict', eventId: 'e-1', eventType: 't' })).toThrow(
      HttpError,
    );
  });

  it.each([
    [
      'one day',
      {
        siteId: 's',
        date: '2025-11-12',
        totalViews: 3,
        uniqueUsers: 2,
        topPaths: [{ path: '/', views: 3 }],
      },
      '2025-11-12',
    ],
    [
      'every day',
      { siteId: 's', from: null, to: null, totalViews: 3, uniqueUsers: 2, topPaths: [] },
      null,
    ],
  ])('stats of %s in its snake_case shape', (_, stats, date) => {
    expect(presentStats(stats)).toEqual({
      site_id: 's',
      date,
      total_views: 3,
      unique_users: 2,
      top_paths: stats.topPaths,
    });
  });
});
