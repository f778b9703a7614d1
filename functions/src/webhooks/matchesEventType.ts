import { eventTypePattern } from '../lib/eventEnvelope.ts';

/**
 * What an endpoint subscribes to: an exact event type (`page.viewed`), every type
 * under a prefix (`workspace.*` matches `workspace.login.login_success`), or `*`.
 */
export const eventTypeFilterPattern = /^(\*|[a-z][a-z0-9_]*(\.[a-z0-9_]+)*\.\*)$/;

export function isValidEventTypeFilter(filter: string): boolean {
  return eventTypePattern.test(filter) || eventTypeFilterPattern.test(filter);
}

export function matchesEventType(filter: string, eventType: string): boolean {
  if (filter === '*') return true;
  if (filter.endsWith('.*')) return eventType.startsWith(filter.slice(0, -1));
  return filter === eventType;
}

/** Whether any of an endpoint's filters takes the event type. */
export function wantsEventType(filters: readonly string[], eventType: string): boolean {
  return filters.some((filter) => matchesEventType(filter, eventType));
}
