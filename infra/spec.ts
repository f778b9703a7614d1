/**
 * The pipeline, declared once. The local stack and the tests apply it to the
 * emulators; the deploy renders it for a real project. Names, retry numbers and
 * triggers are written here and nowhere else: each part lives in its own file under
 * spec/, and this module is the one place the rest of the code imports them from.
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
} from './spec/types.ts';
export {
  secrets,
  serviceAccounts,
  type SecretName,
  type ServiceAccountName,
} from './spec/identities.ts';
export { topicList, topics } from './spec/topics.ts';
export {
  maxProcessingAttempts,
  maxWebhookDeliveryAttempts,
  maxWorkspaceFetchAttempts,
  processingSubscription,
  retryProfiles,
  subscriptions,
  warehouseLoaderSubscription,
  type RetryProfile,
} from './spec/subscriptions.ts';
export { functions } from './spec/functions.ts';
export { schedules, warehouseLoaderRuns } from './spec/schedules.ts';
export { eventsTable, warehouseTables } from './spec/warehouseTables.ts';
export { collections } from './spec/collections.ts';
