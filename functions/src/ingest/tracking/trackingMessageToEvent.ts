import { nameBasedUuid } from '../../lib/nameBasedUuid.ts';
import type { FieldError } from '../../lib/http.ts';
import type { EventInput } from '../eventInput.ts';
import { dateField, isObject, optionalObject, optionalString } from './messageFields.ts';

/** The calls of the tracking API spoken by the Segment and RudderStack SDKs. */
export const trackingCallTypes = ['track', 'page', 'screen', 'identify', 'group', 'alias'] as const;

export type TrackingCallType = (typeof trackingCallTypes)[number];

/** What the mapping needs besides the message: nothing here does I/O. */
export type TrackingContext = {
  /** The call type of a single-call route (`/v1/track`…); absent for batch items. */
  routeType?: TrackingCallType;
  /** The site configured on the API key, which wins over the page URL's host. */
  keySiteId?: string;
  /** When the request arrived: the reference of the clock-skew correction. */
  receivedAt: Date;
  /** A batch's own `sentAt`, used when an item carries none. */
  batchSentAt?: unknown;
  /**
   * Set for a key that counts visitors without cookies: the id of this request's visitor
   * on a site, for an event of that moment. Such a key refuses an `anonymousId`.
   */
  visitorId?: (siteId: string | undefined, occurredAt: string | undefined) => string;
};

export type MappedMessage = {
  event: EventInput;
  /** The idempotency key of the message, when it has one. */
  messageId: string | undefined;
};

export type MappingResult = ({ ok: true } & MappedMessage) | { ok: false; errors: FieldError[] };

const fixedEventTypes: Record<Exclude<TrackingCallType, 'track'>, string> = {
  page: 'page.viewed',
  screen: 'screen.viewed',
  identify: 'identify.called',
  group: 'group.called',
  alias: 'alias.called',
};

const maxEventTypeLength = 100;
const maxUserIdLength = 200;
const maxSiteIdLength = 200;
const maxPathLength = 2048;
const maxMessageIdLength = 255;

/** `"Order Completed"` → `order_completed`: lowercase, each run of other characters one `_`. */
export function normalizeEventName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '_');
}

/**
 * The event id of a message: the same key and messageId always give the same id, so a
 * message sent again (an SDK retrying a batch) is the same event, which the processor
 * takes once.
 */
export function trackingEventId(keyId: string, messageId: string): string {
  return nameBasedUuid(`tracking\n${keyId}\n${messageId}`);
}

/**
 * One tracking-API message as a Tributary event, or the fields at fault. The message is
 * kept whole as the payload; the mapped fields are read from it, never written into it.
 * The one exception is a `writeKey` field: it is the sender's credential, not event
 * data, and a credential is never stored.
 */
export function trackingMessageToEvent(message: unknown, context: TrackingContext): MappingResult {
  if (!isObject(message)) return fail('(root)', 'must be a JSON object (one message)');
  const errors: FieldError[] = [];
  const type = callType(message, context.routeType, errors);
  const messageId = optionalString(message, 'messageId', maxMessageIdLength, errors);
  const eventType = type === undefined ? undefined : eventTypeOf(type, message, errors);
  if (type !== undefined) requireCallFields(type, message, errors);
  const userId = userIdOf(message, errors, context.visitorId !== undefined);
  const properties = optionalObject(message, 'properties', errors);
  const contextField = optionalObject(message, 'context', errors);
  const page = contextField ? optionalObject(contextField, 'page', errors, 'context.') : undefined;
  const path = pathOf(page, properties, errors);
  const siteId = context.keySiteId ?? siteOf(page, properties, errors);
  const occurredAt = occurredAtOf(message, context, errors);
  if (errors.length > 0 || eventType === undefined) return { ok: false, errors };
  // The page's own userId wins; else the visitor id the server derived.
  const user = userId ?? context.visitorId?.(siteId, occurredAt);
  const { writeKey: _credential, ...payload } = message;
  return {
    ok: true,
    messageId,
    event: {
      eventType,
      payload: 'writeKey' in message ? payload : message,
      ...(occurredAt ? { occurredAt } : {}),
      ...(siteId ? { siteId } : {}),
      ...(user ? { userId: user } : {}),
      ...(path ? { path } : {}),
    },
  };
}

function callType(
  message: Record<string, unknown>,
  routeType: TrackingCallType | undefined,
  errors: FieldError[],
): TrackingCallType | undefined {
  const type = message.type;
  if (routeType !== undefined) {
    if (type !== undefined && type !== routeType) {
      errors.push({ field: 'type', message: `must be "${routeType}" on this route, or absent` });
    }
    return routeType;
  }
  if (type === undefined) {
    errors.push({ field: 'type', message: `required: one of ${trackingCallTypes.join(', ')}` });
    return undefined;
  }
  if (typeof type !== 'string' || !(trackingCallTypes as readonly string[]).includes(type)) {
    errors.push({ field: 'type', message: `must be one of ${trackingCallTypes.join(', ')}` });
    return undefined;
  }
  return type as TrackingCallType;
}

function eventTypeOf(
  type: TrackingCallType,
  message: Record<string, unknown>,
  errors: FieldError[],
): string | undefined {
  if (type !== 'track') return fixedEventTypes[type];
  const name = message.event;
  if (name === undefined || name === null || name === '') {
    errors.push({ field: 'event', message: 'required: the name of the tracked event' });
    return undefined;
  }
  if (typeof name !== 'string') {
    errors.push({ field: 'event', message: 'must be a string' });
    return undefined;
  }
  const eventType = `track.${normalizeEventName(name)}`;
  if (eventType.length > maxEventTypeLength) {
    errors.push({
      field: 'event',
      message: `makes the event type ${eventType.length} characters long; at most ${maxEventTypeLength}`,
    });
    return undefined;
  }
  return eventType;
}

/** What the tracking API itself requires of each call. */
function requireCallFields(
  type: TrackingCallType,
  message: Record<string, unknown>,
  errors: FieldError[],
): void {
  if (type === 'group') requireId(message, 'groupId', errors);
  if (type === 'alias') requireId(message, 'previousId', errors);
}

function requireId(message: Record<string, unknown>, field: string, errors: FieldError[]): void {
  const value = message[field];
  if (value === undefined || value === null || value === '')
    errors.push({ field, message: 'required' });
  else if (typeof value !== 'string' && typeof value !== 'number')
    errors.push({ field, message: 'must be a string' });
}

/**
 * `userId`, or `anonymousId` when there is none; numbers are ids too, as the SDKs allow.
 * Without cookies only a `userId` is taken, and may be absent: an `anonymousId` means
 * the sender keeps an id in the browser, which such a key promises it does not.
 */
function userIdOf(
  message: Record<string, unknown>,
  errors: FieldError[],
  cookieless: boolean,
): string | undefined {
  if (cookieless && !absent(message.anonymousId)) {
    errors.push({ field: 'anonymousId', message: cookielessAnonymousId });
    return undefined;
  }
  for (const field of ['userId', 'anonymousId'] as const) {
    const value = message[field];
    if (value === undefined || value === null || value === '') continue;
    if (typeof value !== 'string' && typeof value !== 'number') {
      errors.push({ field, message: 'must be a string' });
      return undefined;
    }
    const id = String(value);
    if (id.length > maxUserIdLength) {
      errors.push({ field, message: `must be at most ${maxUserIdLength} characters` });
      return undefined;
    }
    return id;
  }
  if (!cookieless) errors.push({ field: 'userId', message: 'required: userId or anonymousId' });
  return undefined;
}

const cookielessAnonymousId =
  'must be absent: this key counts visitors without cookies, by an id ingest derives (the tracker: data-visitors="cookieless")';

function absent(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

function pathOf(
  page: Record<string, unknown> | undefined,
  properties: Record<string, unknown> | undefined,
  errors: FieldError[],
): string | undefined {
  const [field, value] =
    page?.path !== undefined
      ? ['context.page.path', page.path]
      : ['properties.path', properties?.path];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') {
    errors.push({ field, message: 'must be a string' });
    return undefined;
  }
  if (!value.startsWith('/') || value.length > maxPathLength) {
    errors.push({ field, message: `must start with / and be at most ${maxPathLength} characters` });
    return undefined;
  }
  return value;
}

/** The host of the page's URL: `context.page.url`, or a page call's `properties.url`. */
function siteOf(
  page: Record<string, unknown> | undefined,
  properties: Record<string, unknown> | undefined,
  errors: FieldError[],
): string | undefined {
  const [field, value] =
    page?.url !== undefined ? ['context.page.url', page.url] : ['properties.url', properties?.url];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') {
    errors.push({ field, message: 'must be a string' });
    return undefined;
  }
  let host: string;
  try {
    host = new URL(value).host;
  } catch {
    errors.push({ field, message: 'must be an absolute URL' });
    return undefined;
  }
  if (host === '' || host.length > maxSiteIdLength) {
    errors.push({ field, message: `must have a host of 1 to ${maxSiteIdLength} characters` });
    return undefined;
  }
  return host;
}

/**
 * When the event happened: `timestamp` (else `originalTimestamp`), corrected for the
 * sender's clock skew as the tracking API does, `receivedAt - sentAt + timestamp`,
 * when the message or its batch says when it was sent.
 */
function occurredAtOf(
  message: Record<string, unknown>,
  context: TrackingContext,
  errors: FieldError[],
): string | undefined {
  const timestamp =
    message.timestamp !== undefined
      ? dateField(message.timestamp, 'timestamp', errors)
      : dateField(message.originalTimestamp, 'originalTimestamp', errors);
  const sentAt =
    message.sentAt !== undefined
      ? dateField(message.sentAt, 'sentAt', errors)
      : dateField(context.batchSentAt, 'sentAt', errors);
  if (timestamp === undefined) return undefined;
  const corrected =
    sentAt === undefined ? timestamp : context.receivedAt.getTime() - sentAt + timestamp;
  const date = new Date(corrected);
  if (Number.isNaN(date.getTime())) {
    errors.push({ field: 'timestamp', message: 'is out of range' });
    return undefined;
  }
  return date.toISOString();
}

function fail(field: string, message: string): MappingResult {
  return { ok: false, errors: [{ field, message }] };
}
