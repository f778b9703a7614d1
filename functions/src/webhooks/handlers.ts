import type { CloudEventFunction } from '@google-cloud/functions-framework';
import { subscriber } from '../lib/subscriber.ts';
import { deliverWebhook, type DeliveryDeps } from './deliverWebhook.ts';
import { recordExhaustedDelivery, type ExhaustedDeliveryDeps } from './recordExhaustedDelivery.ts';

export function createDeliverWebhookHandler(getDeps: () => DeliveryDeps): CloudEventFunction {
  return subscriber('deliverWebhook', getDeps, deliverWebhook);
}

export function createRecordExhaustedDeliveryHandler(
  getDeps: () => ExhaustedDeliveryDeps,
): CloudEventFunction {
  return subscriber('recordExhaustedDelivery', getDeps, recordExhaustedDelivery);
}
