import { createHash } from 'node:crypto';
import type { EventEnvelope } from '../lib/eventEnvelope.ts';

/** One activity as the Reports API returns it (the fields Tributary uses). */
export type Activity = {
  id?: {
    time?: string | null;
    uniqueQualifier?: string | null;
    applicationName?: string | null;
    customerId?: string | null;
  } | null;
  actor?: {
    email?: string | null;
    profileId?: string | null;
    callerType?: string | null;
    key?: string | null;
  } | null;
  ipAddress?: string | null;
  ownerDomain?: string | null;
  events?:
    | {
        type?: string | null;
        name?: string | null;
        parameters?: ActivityParameter[] | null;
      }[]
    | null;
};

export type ActivityParameter = {
  name?: string | null;
  value?: string | null;
  intValue?: string | null;
  boolValue?: boolean | null;
  multiValue?: string[] | null;
  multiIntValue?: string[] | null;
  messageValue?: unknown;
  multiMessageValue?: unknown;
};

export type MappedActivity =
  { ok: true; seenKey: string; envelopes: EventEnvelope[] } | { ok: false; reason: string };

/** The identity of an activity: the API's unique qualifier is unique only with its time. */
export function activityKey(application: string, activity: Activity): string | undefined {
  const time = activity.id?.time;
  const qualifier = activity.id?.uniqueQualifier;
  if (!time || !qualifier) return undefined;
  return `${application}\n${qualifier}\n${time}`;
}

/**
 * An activity as pipeline events, one per event it lists (`workspace.<application>.<name>`).
 * Ids derive from the source and the activity, so fetching it again (an overlapping
 * window, a retried page) yields the same ids, which the processor records once.
 */
export function activityToEvents(
  sourceId: string,
  application: string,
  activity: Activity,
  receivedAt: Date,
): MappedActivity {
  const key = activityKey(application, activity);
  const time = activity.id?.time;
  if (!key || !time || Number.isNaN(Date.parse(time))) {
    return { ok: false, reason: 'activity without id.time or id.uniqueQualifier' };
  }
  const events = activity.events?.length ? activity.events : [{ name: 'unknown' }];
  const envelopes = events.map((event, index): EventEnvelope => {
    const actorEmail = activity.actor?.email ?? undefined;
    return {
      eventId: derivedEventId(sourceId, key, index),
      eventType: eventTypeOf(application, event.name ?? 'unknown'),
      payload: {
        application,
        eventName: event.name ?? null,
        eventCategory: event.type ?? null,
        time: new Date(time).toISOString(),
        uniqueQualifier: activity.id?.uniqueQualifier ?? null,
        customerId: activity.id?.customerId ?? null,
        actor: {
          email: activity.actor?.email ?? null,
          profileId: activity.actor?.profileId ?? null,
          callerType: activity.actor?.callerType ?? null,
          key: activity.actor?.key ?? null,
        },
        ipAddress: activity.ipAddress ?? null,
        ownerDomain: activity.ownerDomain ?? null,
        parameters: parametersOf(event.parameters ?? []),
      },
      occurredAt: new Date(time).toISOString(),
      receivedAt: receivedAt.toISOString(),
      source: 'workspace',
      producer: sourceId,
      ...(actorEmail && actorEmail.length <= 200 ? { userId: actorEmail } : {}),
    };
  });
  return { ok: true, seenKey: key, envelopes };
}

/** `workspace.login.login_success`; Admin event names (CHANGE_PASSWORD) are lowercased. */
export function eventTypeOf(application: string, eventName: string): string {
  const segment =
    eventName
      .toLowerCase()
      .replace(/[^a-z0-9_]+/g, '_')
      .replace(/^_+|_+$/g, '') || 'unknown';
  return `workspace.${application}.${segment}`.slice(0, 100);
}

/** Parameters as a plain object: name → the one value field the API set. */
export function parametersOf(parameters: readonly ActivityParameter[]): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const parameter of parameters) {
    if (!parameter.name) continue;
    result[parameter.name] =
      parameter.value ??
      parameter.intValue ??
      parameter.boolValue ??
      parameter.multiValue ??
      parameter.multiIntValue ??
      parameter.messageValue ??
      parameter.multiMessageValue ??
      null;
  }
  return result;
}

/**
 * A name-based UUID (RFC 9562 version 8, SHA-256): the same activity always gets the
 * same id, and ids stay evenly spread, as Firestore wants of document ids.
 */
export function derivedEventId(sourceId: string, key: string, index: number): string {
  const hash = createHash('sha256').update(`workspace\n${sourceId}\n${key}\n${index}`).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x80;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
