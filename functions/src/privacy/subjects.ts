import { createHmac } from 'node:crypto';

/**
 * A person as a regulation names them: by the id the producer sent. Matching is by the
 * id's value across both fields, since the tracking API files an event with only an
 * anonymousId under that id as its `userId`.
 */
export const subjectKinds = ['userId', 'anonymousId'] as const;

export type SubjectKind = (typeof subjectKinds)[number];

/**
 * Keyed hashes of subject ids: what Firestore keeps to find a subject's records, and
 * what tombstones and the suppression list hold, so no store needs the id itself. The
 * key never changes (a rotation would orphan every hash); without it the hash would be
 * a plain digest anyone could compute from a guessed id.
 */
export class SubjectHasher {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    this.#key = key;
  }

  hash(subject: string): string {
    return createHmac('sha256', this.#key).update(subject).digest('base64url').slice(0, 32);
  }

  /** The hashes of every subject id an event carries, without repeats. */
  ofEvent(event: EventSubjectFields): string[] {
    return subjectIdsOf(event).map((id) => this.hash(id));
  }
}

export type EventSubjectFields = { userId?: string | undefined; payload?: unknown };

/** The ids an event is about: its `userId`, and an `anonymousId` in its payload (the tracking API's). */
export function subjectIdsOf(event: EventSubjectFields): string[] {
  const ids: string[] = [];
  if (event.userId) ids.push(event.userId);
  const payload = event.payload;
  if (payload && typeof payload === 'object' && !Array.isArray(payload)) {
    const anonymousId = (payload as Record<string, unknown>).anonymousId;
    if ((typeof anonymousId === 'string' && anonymousId !== '') || typeof anonymousId === 'number')
      ids.push(String(anonymousId));
  }
  return ids.length === 2 && ids[0] === ids[1] ? [ids[0]!] : ids;
}
