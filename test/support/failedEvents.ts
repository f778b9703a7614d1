import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '../../functions/src/lib/eventEnvelope.ts';
import type { EventRecord } from '../../functions/src/process/eventRecord.ts';
import { deadLetterRecord, failedRecord } from '../../functions/src/process/eventTransitions.ts';
import { FirestoreEventStatusStore } from '../../functions/src/process/eventStatusStore.ts';
import type { TestPipeline } from './pipeline.ts';

export function testEnvelope(overrides: Partial<EventEnvelope> = {}): EventEnvelope {
  const now = new Date().toISOString();
  return {
    eventId: randomUUID(),
    eventType: 'page.viewed',
    payload: { title: 'Home' },
    occurredAt: now,
    receivedAt: now,
    source: 'api',
    producer: 'key_test',
    ...overrides,
  };
}

/**
 * Records an event as FAILED or DEAD_LETTER at `failedAt`, through the state machine's
 * own transitions, as processEvent and recordDeadLetter would have.
 */
export async function seedFailedEvent(
  pipeline: Pick<TestPipeline, 'firestore'>,
  options: {
    status: 'FAILED' | 'DEAD_LETTER';
    failedAt?: Date;
    envelope?: Partial<EventEnvelope>;
    /** Failed processing attempts before the status (one by default). */
    attempts?: number;
  },
): Promise<EventRecord> {
  const envelope = testEnvelope(options.envelope);
  const context = { now: options.failedAt ?? new Date(), ttlDays: 30 };
  let record: EventRecord | undefined;
  for (let attempt = 0; attempt < (options.attempts ?? 1); attempt += 1) {
    record = failedRecord(
      record,
      envelope,
      { code: 'publish_failed', message: 'events-processed is down' },
      context,
    );
  }
  if (!record) throw new Error('seed at least one attempt');
  if (options.status === 'DEAD_LETTER') {
    record = deadLetterRecord(
      envelope.eventId,
      record,
      envelope,
      {
        error: { code: 'attempts_exhausted', message: 'Pub/Sub stopped redelivering the event.' },
        countsAsAttempt: false,
      },
      context,
    );
  }
  const store = new FirestoreEventStatusStore(pipeline.firestore);
  if ((await store.put(record, undefined)) !== 'written') throw new Error('seed conflict');
  return record;
}

export function adminHeaders(pipeline: TestPipeline): Record<string, string> {
  return { authorization: `Bearer ${pipeline.adminToken}` };
}
