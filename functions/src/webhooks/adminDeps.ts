import type { SecretBox } from '../lib/encryption.ts';
import type { Publisher } from '../lib/publisher.ts';
import type { DeliveryStore } from './deliveryStore.ts';
import type { EndpointStore } from './endpointStore.ts';
import type { Resolve, UrlPolicy } from './urlSafety.ts';

/** What the operators' webhook routes need, as part of the api function's deps. */
export type WebhookAdminDeps = {
  endpoints: EndpointStore;
  deliveries: DeliveryStore;
  /** Undefined when no encryption key is configured: secrets cannot be issued. */
  secrets: SecretBox | undefined;
  publisher: Publisher;
  urlPolicy: UrlPolicy;
  resolve: Resolve;
  now: () => Date;
};

/** What the webhook routes use: endpoints and deliveries, under `webhooks`. */
export type WebhookRouteDeps = { webhooks: WebhookAdminDeps };
