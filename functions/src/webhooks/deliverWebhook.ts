import type { SecretBox } from '../lib/encryption.ts';
import { PipelineError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import type { PushedMessage } from '../lib/pushedMessage.ts';
import { classifyResponse } from './classifyResponse.ts';
import {
  decideDelivery,
  endpointChange,
  heldRecord,
  recordAttempt,
  type DeliveryContext,
  type DeliveryKey,
  type DeliveryRecord,
} from './delivery.ts';
import { decodeDeliveryMessage, webhookBody, type DeliveryMessage } from './deliveryMessage.ts';
import type { DeliveryStore, StoredDelivery } from './deliveryStore.ts';
import { activeSecrets, type WebhookEndpoint } from './endpoint.ts';
import type { EndpointStore } from './endpointStore.ts';
import type { HealthRecorder } from './healthRecorder.ts';
import type { WebhookSender } from './httpSender.ts';
import { signWebhook } from './signWebhook.ts';
import { privacyVerdicts, type PrivacyGate } from '../privacy/privacyGate.ts';

export type DeliveryDeps = {
  endpoints: EndpointStore;
  /** The endpoints' health, kept per instance (one per runtime). */
  health: HealthRecorder;
  deliveries: DeliveryStore;
  /** Undefined when no encryption key is configured: deliveries are retried until it is. */
  secrets: SecretBox | undefined;
  sender: WebhookSender;
  now: () => Date;
  ttlDays: number;
  timeoutMs: number;
  logger: Logger;
  /** Suppressed and erased subjects: their deliveries still queued are never sent. */
  privacy?: PrivacyGate;
};

export type DeliveryOutcome =
  | { kind: 'delivered'; attempts: number }
  | { kind: 'failed' | 'endpoint_disabled'; code: string }
  | { kind: 'held'; reason: 'endpoint_disabled' | 'endpoint_deleted' }
  | { kind: 'skipped'; reason: 'already_delivered' | 'suppressed' | 'erased' }
  | { kind: 'rejected'; reason: string };

const maxConflictRounds = 5;

/**
 * Sends one event to one endpoint and logs the attempt. Returns when the delivery is
 * settled (delivered, failed for good, or kept for replay); throws a retriable error
 * when the receiver should be tried again, so Pub/Sub redelivers with backoff.
 */
export async function deliverWebhook(
  message: PushedMessage,
  deps: DeliveryDeps,
): Promise<DeliveryOutcome> {
  const decoded = decodeDeliveryMessage(message.data);
  if (!decoded.ok) {
    deps.logger.warn({ reason: decoded.reason }, 'invalid delivery message acknowledged');
    return { kind: 'rejected', reason: decoded.reason };
  }
  const [privacyVerdict] = await privacyVerdicts(deps.privacy, [decoded.message.event]);
  if (privacyVerdict) return { kind: 'skipped', reason: privacyVerdict };
  const key = deliveryKey(decoded.message);
  const [stored, endpoint] = await Promise.all([
    deps.deliveries.get(key.eventId, key.endpointId),
    deps.endpoints.get(key.endpointId),
  ]);
  const decision = decideDelivery(stored?.record, endpoint);
  if (decision.kind === 'skip') return { kind: 'skipped', reason: decision.reason };
  if (decision.kind === 'hold' || !endpoint) {
    const reason = decision.kind === 'hold' ? decision.reason : 'endpoint_deleted';
    await writeWithRetry(key, stored, deps, (current) =>
      current?.status === 'delivered' ? undefined : heldRecord(current, key, reason, context(deps)),
    );
    return { kind: 'held', reason };
  }

  const now = deps.now();
  const body = webhookBody(decoded.message.event);
  const headers = signWebhook({
    id: key.eventId,
    timestamp: Math.floor(now.getTime() / 1000),
    body,
    secrets: signingSecrets(endpoint, deps, now),
  });
  const result = await deps.sender.send({
    url: endpoint.url,
    headers: { ...headers },
    body,
    timeoutMs: deps.timeoutMs,
  });
  const verdict = classifyResponse(result);
  // A failure is counted before it is logged, so a delivery that disables the endpoint
  // says so; a success is logged first, so nothing delays recording it as delivered.
  const disabled =
    verdict.kind === 'delivered'
      ? null
      : await deps.health.record(endpoint, {
          kind: 'failed',
          error: { code: verdict.code, message: verdict.message },
          gone: verdict.kind === 'gone',
        });
  const change = endpointChange(verdict, disabled);

  let retry = false;
  let record: DeliveryRecord | undefined;
  await writeWithRetry(key, stored, deps, (current) => {
    const next = recordAttempt(current, key, result, verdict, change, context(deps));
    retry = next.retry;
    record = next.record;
    return next.record;
  });
  if (verdict.kind === 'delivered') {
    await deps.health.record(endpoint, {
      kind: 'delivered',
      afterFailures: (stored?.record.attemptCount ?? 0) > 0,
    });
  }

  const log = { endpointId: key.endpointId, attempt: record?.attemptCount, verdict: verdict.kind };
  if (verdict.kind === 'delivered') {
    deps.logger.debug(log, 'webhook delivered');
    return { kind: 'delivered', attempts: record?.attemptCount ?? 1 };
  }
  const statusCode = result.kind === 'response' ? result.statusCode : undefined;
  if (change.kind === 'failure' && change.disable) {
    deps.logger.warn({ ...log, statusCode, disable: change.disable }, 'webhook endpoint disabled');
  }
  if (retry) {
    throw new PipelineError(verdict.code, `Webhook attempt failed: ${verdict.message}`, {
      retriable: true,
    });
  }
  deps.logger.warn({ ...log, statusCode, code: verdict.code }, 'webhook delivery failed');
  return {
    kind: record?.status === 'endpoint_disabled' ? 'endpoint_disabled' : 'failed',
    code: verdict.code,
  };
}

export function deliveryKey(message: DeliveryMessage): DeliveryKey {
  return {
    eventId: message.event.eventId,
    endpointId: message.endpointId,
    eventType: message.event.eventType,
    event: JSON.stringify(message.event),
  };
}

function context(deps: { now: () => Date; ttlDays: number }): DeliveryContext {
  return { now: deps.now(), ttlDays: deps.ttlDays };
}

/** The clear secrets that sign now; a missing or wrong key is retried, not lost. */
function signingSecrets(endpoint: WebhookEndpoint, deps: DeliveryDeps, now: Date): string[] {
  if (!deps.secrets) {
    throw new PipelineError('not_configured', 'ENCRYPTION_KEY is not configured.', {
      retriable: true,
    });
  }
  const box = deps.secrets;
  const active = activeSecrets(endpoint, now);
  if (active.length === 0) {
    throw new PipelineError('no_secret', 'The endpoint has no signing secret.', {
      retriable: true,
    });
  }
  try {
    return active.map((secret) => box.decrypt(secret.ciphertext, secretContext(endpoint.id)));
  } catch (error) {
    throw new PipelineError('secret_unreadable', 'The endpoint secret does not decrypt.', {
      retriable: true,
      cause: error,
    });
  }
}

/** The additional authenticated data of an endpoint's secrets: they open only there. */
export function secretContext(endpointId: string): string {
  return `webhook_endpoints/${endpointId}`;
}

/**
 * Applies `change` to the stored record with a conditional write; on conflict re-reads
 * and applies it again, so concurrent attempts all end up in the log.
 */
export async function writeWithRetry(
  key: DeliveryKey,
  first: StoredDelivery | undefined,
  deps: { deliveries: DeliveryStore },
  change: (current: DeliveryRecord | undefined) => DeliveryRecord | undefined,
): Promise<void> {
  let stored = first;
  for (let round = 0; round < maxConflictRounds; round += 1) {
    const next = change(stored?.record);
    if (!next) return;
    if ((await deps.deliveries.put(next, stored?.version)) === 'written') return;
    stored = await deps.deliveries.get(key.eventId, key.endpointId);
  }
  throw new PipelineError(
    'contention',
    `Delivery ${key.eventId}/${key.endpointId} kept changing.`,
    {
      retriable: true,
    },
  );
}
