/**
 * The pipeline, declared once. The local stack and the tests apply it to the
 * emulators; the deploy renders it for a real project. Names, retry numbers and
 * triggers are written here and nowhere else: each part lives in its own file under
 * pipeline/, and this module is the one place the rest of the code imports them from.
 */

export type {
  ColumnSpec,
  FunctionName,
  FunctionSpec,
  RetryPolicy,
  ScheduleSpec,
  SubscriptionSpec,
  TableSpec,
  TopicSpec,
} from './pipeline/types.ts';
export {
  secrets,
  serviceAccounts,
  type SecretName,
  type ServiceAccountName,
} from './pipeline/identities.ts';
export { topicList, topics } from './pipeline/topics.ts';
export {
  maxProcessingAttempts,
  maxRegulationAttempts,
  maxWebhookDeliveryAttempts,
  maxWorkspaceFetchAttempts,
  processingSubscription,
  retryProfiles,
  subscriptions,
  warehouseLoaderSubscription,
  type RetryProfile,
} from './pipeline/subscriptions.ts';
export { functions } from './pipeline/functions.ts';
export { schedules, warehouseLoaderRuns } from './pipeline/schedules.ts';
export { eventsTable, warehouseTables } from './pipeline/warehouseTables.ts';
export { collections } from './pipeline/collections.ts';
