import type { Config } from '../lib/config.ts';
import { defaults } from '../lib/defaults.ts';
import type { SecretBox } from '../lib/encryption.ts';
import type { Logger } from '../lib/logger.ts';
import type { DeliveryDeps } from './deliverWebhook.ts';
import type { DeliveryStore } from './deliveryStore.ts';
import type { EndpointStore } from './endpointStore.ts';
import { EndpointHealthRecorder } from './healthRecorder.ts';
import { HttpWebhookSender, type WebhookSender } from './httpSender.ts';
import type { UrlPolicy } from './urlSafety.ts';

/** Where webhooks may go: https only in production; loopback only when allowed locally. */
export function webhookUrlPolicy(config: Config): UrlPolicy {
  return {
    requireHttps: config.environment === 'production',
    allowLoopback: config.webhookAllowLoopback,
  };
}

/**
 * The delivery subscribers' parts (deliver, exhausted delivery), with this instance's
 * endpoint health recorder, whose pending counts `health.flush()` writes on close.
 */
export function buildDeliveryDeps(parts: {
  config: Config;
  endpoints: EndpointStore;
  deliveries: DeliveryStore;
  secrets: SecretBox | undefined;
  sender: WebhookSender | undefined;
  logger: Logger;
}): DeliveryDeps {
  const { config } = parts;
  return {
    endpoints: parts.endpoints,
    health: new EndpointHealthRecorder({
      store: parts.endpoints,
      disableAfterFailures: config.webhookDisableAfterFailures,
      logger: parts.logger,
      writeIntervalMs: defaults.webhookHealthWriteIntervalMs,
      foldAfterMs: defaults.webhookHealthFoldAfterMs,
    }),
    deliveries: parts.deliveries,
    secrets: parts.secrets,
    sender:
      parts.sender ??
      new HttpWebhookSender({
        policy: webhookUrlPolicy(config),
        excerptBytes: defaults.webhookResponseExcerptBytes,
      }),
    now: () => new Date(),
    ttlDays: config.eventTtlDays,
    timeoutMs: config.webhookTimeoutMs,
    logger: parts.logger,
  };
}
