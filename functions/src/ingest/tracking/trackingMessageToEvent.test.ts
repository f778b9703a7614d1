import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { eventInputSchema } from '../eventInput.ts';
import {
  normalizeEventName,
  trackingEventId,
  trackingMessageToEvent,
  type TrackingContext,
} from './trackingMessageToEvent.ts';

const receivedAt = new Date('2026-03-01T12:00:10.000Z');
const base: TrackingContext = { receivedAt };
const map = (message: unknown, context: Partial<TrackingContext> = {}) =>
  trackingMessageToEvent(message, { ...base, ...context });

function mapped(message: unknown, context: Partial<TrackingContext> = {}) {
  const result = map(message, context);
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.errors)}`);
  // Whatever the mapping produces is a valid Tributary event.
  expect(eventInputSchema.safeParse(result.event).success).toBe(true);
  return result;
}

function refusedFields(message: unknown, context: Partial<TrackingContext> = {}): string[] {
  const result = map(message, context);
  if (result.ok) throw new Error('accepted');
  return result.errors.map((error) => error.field);
}

describe('event names', () => {
  it.each([
    ['Order Completed', 'order_completed'],
    ['signup', 'signup'],
    ['Signed Up!', 'signed_up_'],
    ['  Added -- to   Cart  ', '_added_to_cart_'],
    ['Checkout Step 2', 'checkout_step_2'],
    ['Ünïcode Événement', '_n_code_v_nement'],
    ['already_snake', 'already_snake'],
  ])('%j → %s', (name, normalized) => {
    expect(normalizeEventName(name)).toBe(normalized);
  });
});

describe('event types by call', () => {
  it.each([
    [{ type: 'track', event: 'Order Completed' }, 'track.order_completed'],
    [{ type: 'page', name: 'Home' }, 'page.viewed'],
    [{ type: 'screen', name: 'Settings' }, 'screen.viewed'],
    [{ type: 'identify', traits: { plan: 'pro' } }, 'identify.called'],
    [{ type: 'group', groupId: 'g-1' }, 'group.called'],
    [{ type: 'alias', previousId: 'anon-1' }, 'alias.called'],
  ])('%j → %s', (message, eventType) => {
    expect(mapped({ ...message, userId: 'u-1' }).event.eventType).toBe(eventType);
  });

  it('takes the type from a single-call route', () => {
    expect(
      mapped({ event: 'Signed Up', userId: 'u' }, { routeType: 'track' }).event.eventType,
    ).toBe('track.signed_up');
    expect(mapped({ userId: 'u' }, { routeType: 'page' }).event.eventType).toBe('page.viewed');
  });
});

describe('fields', () => {
  it('keeps the whole message as the payload and its messageId as the key', () => {
    const message = {
      type: 'track',
      event: 'Order Completed',
      messageId: 'm-1',
      userId: 'u-1',
      properties: { total: 42, items: [{ sku: 'a' }] },
      context: { library: { name: 'analytics-node', version: '3.1.0' } },
      integrations: {},
    };
    const result = mapped(message);
    expect(result.messageId).toBe('m-1');
    expect(result.event.payload).toEqual(message);
    expect(result.event.payload).toBe(message);
  });

  it.each([
    [{ userId: 'u-1', anonymousId: 'a-1' }, 'u-1'],
    [{ anonymousId: 'a-1' }, 'a-1'],
    [{ userId: '', anonymousId: 'a-1' }, 'a-1'],
    [{ userId: null, anonymousId: 'a-1' }, 'a-1'],
    [{ userId: 42 }, '42'],
  ])('userId from %j is %s', (ids, userId) => {
    expect(mapped({ type: 'identify', ...ids }).event.userId).toBe(userId);
  });

  it.each([
    [{ context: { page: { path: '/pricing' } } }, '/pricing'],
    [{ properties: { path: '/docs' } }, '/docs'],
    [{ context: { page: { path: '/a' } }, properties: { path: '/b' } }, '/a'],
    [{}, undefined],
  ])('path from %j is %s', (fields, path) => {
    expect(mapped({ type: 'page', userId: 'u', ...fields }).event.path).toBe(path);
  });

  it.each([
    [
      'the page URL host',
      { context: { page: { url: 'https://shop.example.com/x' } } },
      undefined,
      'shop.example.com',
    ],
    [
      "a page call's properties.url",
      { properties: { url: 'https://docs.example.com:8443/a' } },
      undefined,
      'docs.example.com:8443',
    ],
    [
      "the key's configured site, first",
      { context: { page: { url: 'https://shop.example.com/' } } },
      'site-1',
      'site-1',
    ],
    ['nothing', {}, undefined, undefined],
  ])('site from %s', (_, fields, keySiteId, siteId) => {
    const context = keySiteId ? { keySiteId } : {};
    expect(mapped({ type: 'page', userId: 'u', ...fields }, context).event.siteId).toBe(siteId);
  });

  it('stores no write key sent in the message, and keeps everything else', () => {
    const result = mapped({ type: 'track', event: 'x', userId: 'u', writeKey: 'trb_secret' });
    expect(result.event.payload).toEqual({ type: 'track', event: 'x', userId: 'u' });
  });
});

describe('occurredAt, corrected for clock skew', () => {
  it.each([
    [
      'timestamp and sentAt: receivedAt - sentAt + timestamp',
      { timestamp: '2026-03-01T12:00:00.000Z', sentAt: '2026-03-01T12:00:05.000Z' },
      undefined,
      '2026-03-01T12:00:05.000Z',
    ],
    [
      'a sender clock an hour fast',
      { timestamp: '2026-03-01T13:00:00.000+00:00', sentAt: '2026-03-01T13:00:09Z' },
      undefined,
      '2026-03-01T12:00:01.000Z',
    ],
    [
      'originalTimestamp when there is no timestamp',
      { originalTimestamp: '2026-03-01T12:00:00Z', sentAt: '2026-03-01T12:00:10Z' },
      undefined,
      '2026-03-01T12:00:00.000Z',
    ],
    [
      "the batch's sentAt when the item has none",
      { timestamp: '2026-03-01T11:59:00Z' },
      '2026-03-01T12:00:00Z',
      '2026-03-01T11:59:10.000Z',
    ],
    [
      'a timestamp alone, as sent',
      { timestamp: '2026-02-28T08:00:00+01:00' },
      undefined,
      '2026-02-28T07:00:00.000Z',
    ],
    ['no time at all: when received (absent here)', {}, undefined, undefined],
  ])('%s', (_, times, batchSentAt, occurredAt) => {
    const context = batchSentAt ? { batchSentAt } : {};
    expect(
      mapped({ type: 'track', event: 'x', userId: 'u', ...times }, context).event.occurredAt,
    ).toBe(occurredAt);
  });
});

describe('refusals name the field', () => {
  it.each([
    ['not an object', 'track', '(root)'],
    ['an array', [{ type: 'track' }], '(root)'],
    ['no type in a batch item', { event: 'x', userId: 'u' }, 'type'],
    ['an unknown type', { type: 'purchase', userId: 'u' }, 'type'],
    ['a type that is a number', { type: 3, userId: 'u' }, 'type'],
    ['a track without its event name', { type: 'track', userId: 'u' }, 'event'],
    ['an empty event name', { type: 'track', event: '', userId: 'u' }, 'event'],
    ['an event name that is an object', { type: 'track', event: { n: 1 }, userId: 'u' }, 'event'],
    [
      'an event name too long for an event type',
      { type: 'track', event: 'e'.repeat(95), userId: 'u' },
      'event',
    ],
    ['no userId nor anonymousId', { type: 'track', event: 'x' }, 'userId'],
    ['a userId that is an object', { type: 'track', event: 'x', userId: { id: 1 } }, 'userId'],
    ['an anonymousId that is a boolean', { type: 'page', anonymousId: true }, 'anonymousId'],
    ['a userId over 200 characters', { type: 'page', userId: 'u'.repeat(201) }, 'userId'],
    ['a group without groupId', { type: 'group', userId: 'u' }, 'groupId'],
    ['an alias without previousId', { type: 'alias', userId: 'u' }, 'previousId'],
    ['a messageId that is a number', { type: 'page', userId: 'u', messageId: 7 }, 'messageId'],
    ['an empty messageId', { type: 'page', userId: 'u', messageId: '' }, 'messageId'],
    ['properties that are a string', { type: 'page', userId: 'u', properties: 'x' }, 'properties'],
    ['a context that is an array', { type: 'page', userId: 'u', context: [] }, 'context'],
    [
      'a context.page that is a string',
      { type: 'page', userId: 'u', context: { page: '/' } },
      'context.page',
    ],
    [
      'a path without a leading slash',
      { type: 'page', userId: 'u', properties: { path: 'home' } },
      'properties.path',
    ],
    [
      'a path that is a number',
      { type: 'page', userId: 'u', context: { page: { path: 1 } } },
      'context.page.path',
    ],
    [
      'a page URL that is not a URL',
      { type: 'page', userId: 'u', context: { page: { url: 'not a url' } } },
      'context.page.url',
    ],
    [
      'a timestamp that is not a date',
      { type: 'page', userId: 'u', timestamp: 'yesterday' },
      'timestamp',
    ],
    [
      'a timestamp that is a number',
      { type: 'page', userId: 'u', timestamp: 1700000000 },
      'timestamp',
    ],
    [
      'a date without a time zone',
      { type: 'page', userId: 'u', originalTimestamp: '2026-03-01T12:00:00' },
      'originalTimestamp',
    ],
    ['a sentAt that is not a date', { type: 'page', userId: 'u', sentAt: 'now' }, 'sentAt'],
  ])('%s', (_, message, field) => {
    expect(refusedFields(message)).toContain(field);
  });

  it('refuses a body type that contradicts its single-call route', () => {
    expect(refusedFields({ type: 'identify', userId: 'u' }, { routeType: 'track' })).toEqual([
      'type',
      'event',
    ]);
  });

  it("refuses a batch's sentAt that is not a date", () => {
    expect(
      refusedFields(
        { type: 'page', userId: 'u', timestamp: '2026-03-01T12:00:00Z' },
        { batchSentAt: 5 },
      ),
    ).toEqual(['sentAt']);
  });

  it('lists every wrong field at once', () => {
    expect(refusedFields({ type: 'track', event: 5, userId: [], timestamp: 'x' })).toEqual([
      'event',
      'userId',
      'timestamp',
    ]);
  });
});

describe('event ids', () => {
  it('are the same for the same key and messageId, a UUID, and differ otherwise', () => {
    const id = trackingEventId('key_a', 'm-1');
    expect(z.uuid().safeParse(id).success).toBe(true);
    expect(trackingEventId('key_a', 'm-1')).toBe(id);
    expect(trackingEventId('key_b', 'm-1')).not.toBe(id);
    expect(trackingEventId('key_a', 'm-2')).not.toBe(id);
  });
});

describe('a key that counts visitors without cookies', () => {
  const asked: [string | undefined, string | undefined][] = [];
  const visitorId: TrackingContext['visitorId'] = (siteId, occurredAt) => {
    asked.push([siteId, occurredAt]);
    return 'vis_derived';
  };

  it("makes the derived id the event's user, for its site and moment, and leaves the payload as sent", () => {
    asked.length = 0;
    const message = {
      type: 'page',
      messageId: 'm-1',
      timestamp: '2026-03-01T11:00:00.000Z',
      properties: { path: '/pricing', url: 'https://shop.example/pricing' },
    };
    const { event } = mapped(message, { visitorId });
    expect(event.userId).toBe('vis_derived');
    expect(event.payload).toEqual(message);
    expect(event.payload).not.toHaveProperty('userId');
    expect(asked).toEqual([['shop.example', '2026-03-01T11:00:00.000Z']]);
    mapped(message, { visitorId, keySiteId: 'shop' });
    expect(asked.at(-1)).toEqual(['shop', '2026-03-01T11:00:00.000Z']);
  });

  it('takes a userId the page gives (identify, and the calls after it) over the derived id', () => {
    expect(mapped({ type: 'identify', userId: 'user-42' }, { visitorId }).event.userId).toBe(
      'user-42',
    );
    expect(mapped({ type: 'track', event: 'Bought', userId: 7 }, { visitorId }).event.userId).toBe(
      '7',
    );
  });

  it('refuses an anonymousId, naming it: the page would be keeping an id', () => {
    const result = map({ type: 'page', anonymousId: 'anon-1', userId: 'user-42' }, { visitorId });
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.errors).toEqual([
      { field: 'anonymousId', message: expect.stringContaining('without cookies') },
    ]);
    // An empty one is no id, as anywhere else.
    expect(mapped({ type: 'page', anonymousId: '' }, { visitorId }).event.userId).toBe(
      'vis_derived',
    );
  });

  it('still refuses what is wrong with a userId', () => {
    expect(refusedFields({ type: 'page', userId: { id: 1 } }, { visitorId })).toEqual(['userId']);
  });
});
