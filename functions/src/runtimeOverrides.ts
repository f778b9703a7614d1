import type { Logger } from './lib/logger.ts';
import type { Publisher } from './lib/publisher.ts';
import type { MetricsDocStore } from './metrics/metricsStore.ts';
import type { EventStatusStore } from './process/eventStatusStore.ts';
import type { Warehouse } from './warehouse/warehouse.ts';
import type { DeliveryStore } from './webhooks/deliveryStore.ts';
import type { EndpointStore } from './webhooks/endpointStore.ts';
import type { WebhookSender } from './webhooks/httpSender.ts';
import type { ActivityReports } from './workspace/reportsClient.ts';

/** Replaceable parts, for tests and benchmarks that count or break them. */
export type RuntimeOverrides = {
  publisher?: Publisher;
  events?: EventStatusStore;
  logger?: Logger;
  webhookEndpoints?: EndpointStore;
  webhookDeliveries?: DeliveryStore;
  webhookSender?: WebhookSender;
  warehouse?: Warehouse;
  metricsDocs?: MetricsDocStore;
  workspaceReports?: ActivityReports;
  /** The calendar of the metrics (which day is today). */
  now?: () => Date;
};
