import type { Logger } from '../lib/logger.ts';
import type { PushedMessage } from '../lib/pushedMessage.ts';
import { exhaustedRecord } from './delivery.ts';
import { decodeDeliveryMessage } from './deliveryMessage.ts';
import type { DeliveryStore } from './deliveryStore.ts';
import { deliveryKey, writeWithRetry } from './deliverWebhook.ts';

export type ExhaustedDeliveryDeps = {
  deliveries: DeliveryStore;
  now: () => Date;
  ttlDays: number;
  logger: Logger;
};

export type ExhaustedOutcome =
  { kind: 'recorded' } | { kind: 'skipped'; status: string } | { kind: 'rejected'; reason: string };

/** Marks a delivery `exhausted` when Pub/Sub gave up on it; it stays replayable. */
export async function recordExhaustedDelivery(
  message: PushedMessage,
  deps: ExhaustedDeliveryDeps,
): Promise<ExhaustedOutcome> {
  const decoded = decodeDeliveryMessage(message.data);
  if (!decoded.ok) {
    deps.logger.warn({ reason: decoded.reason }, 'invalid dead-lettered delivery acknowledged');
    return { kind: 'rejected', reason: decoded.reason };
  }
  const key = deliveryKey(decoded.message);
  const stored = await deps.deliveries.get(key.eventId, key.endpointId);
  let skipped: string | undefined;
  await writeWithRetry(key, stored, deps, (current) => {
    // Settled deliveries were acknowledged; a copy here is a late duplicate.
    if (current && !['pending', 'retrying'].includes(current.status)) {
      skipped = current.status;
      return undefined;
    }
    skipped = undefined;
    return exhaustedRecord(current, key, { now: deps.now(), ttlDays: deps.ttlDays });
  });
  if (skipped) return { kind: 'skipped', status: skipped };
  deps.logger.warn(
    { endpointId: key.endpointId, attempts: stored?.record.attemptCount },
    'webhook delivery exhausted',
  );
  return { kind: 'recorded' };
}
