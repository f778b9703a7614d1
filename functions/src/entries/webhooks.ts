import type { Runtime } from '../runtime.ts';
import { buildDeliveryDeps } from '../webhooks/buildDeliveryDeps.ts';
import type { DeliveryDeps } from '../webhooks/deliverWebhook.ts';
import {
  createDeliverWebhookHandler,
  createRecordExhaustedDeliveryHandler,
} from '../webhooks/handlers.ts';
import type { EntryPoints } from './entryPoint.ts';
import { privacyGate, webhookDeliveries, webhookEndpoints } from './shared.ts';

/**
 * What `deliverWebhook` and `recordExhaustedDelivery` are given, built once per runtime:
 * one endpoint health recorder per instance, whose pending counts are written on close.
 */
export function deliveryDeps(runtime: Runtime): DeliveryDeps {
  return runtime.shared('delivery', () => {
    const deps = buildDeliveryDeps({
      config: runtime.config,
      endpoints: webhookEndpoints(runtime),
      deliveries: webhookDeliveries(runtime),
      secrets: runtime.secretBox,
      sender: runtime.overrides.webhookSender,
      logger: runtime.logger,
    });
    runtime.onClose(() => deps.health.flush());
    return { ...deps, privacy: privacyGate(runtime) };
  });
}

export function entryPoints(runtime: Runtime): EntryPoints {
  const deps = () => deliveryDeps(runtime);
  return {
    deliverWebhook: { signature: 'cloudevent', handler: createDeliverWebhookHandler(deps) },
    recordExhaustedDelivery: {
      signature: 'cloudevent',
      handler: createRecordExhaustedDeliveryHandler(deps),
    },
  };
}
