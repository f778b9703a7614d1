import { isEventId } from './eventEnvelope.ts';

/**
 * Messages of the format before every message carried `{"events":[…]}`: the data was one
 * event, with `eventId` and `eventType` attributes and no `events` attribute. Such
 * messages may still wait in a subscription, a retry or a dead-letter topic when a
 * deployment is upgraded; this reads one as the single item it holds, and nothing else
 * in the code knows the old format.
 *
 * Remove it (and its call in eventMessages.ts) once the upgraded deployment has run for
 * longer than any subscription retains a message: seven days, `messageRetentionSeconds`
 * in infra/pipeline/subscriptions.ts. After that no message of the old format exists.
 */
export type LegacyItem =
  /** The message's one event, not yet checked, and the id its attribute names. */
  | { ok: true; item: unknown; eventId: string | undefined; text: string }
  | { ok: false; eventId: string | undefined; reason: string; text: string };

export function readLegacyMessage(
  data: Buffer,
  attributes: Record<string, string> | undefined,
): LegacyItem {
  const attributed = attributes?.eventId;
  const eventId = isEventId(attributed) ? attributed : undefined;
  const text = data.toString('utf8');
  try {
    return { ok: true, item: JSON.parse(text) as unknown, eventId, text };
  } catch {
    return { ok: false, eventId, reason: 'message data is not JSON', text };
  }
}
