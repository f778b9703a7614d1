import { trackingCallTypes, type TrackingCallType } from './trackingMessageToEvent.ts';

/** Every path of the tracking API, as server SDKs and browser SDKs call it. */

export const batchPath = '/v1/batch';
/** analytics.js (`@segment/analytics-next`) with its batching delivery. */
export const shortBatchPath = '/v1/b';
/** RudderStack's JavaScript SDK on `pagehide`, through `navigator.sendBeacon`. */
export const beaconBatchPath = '/beacon/v1/batch';

/** analytics.js posts each call to the first letter of its type. */
export const shortCallPaths: Record<string, TrackingCallType> = {
  '/v1/t': 'track',
  '/v1/p': 'page',
  '/v1/s': 'screen',
  '/v1/i': 'identify',
  '/v1/g': 'group',
  '/v1/a': 'alias',
};

export const trackingPaths: ReadonlySet<string> = new Set([
  batchPath,
  shortBatchPath,
  beaconBatchPath,
  ...trackingCallTypes.map((type) => `/v1/${type}`),
  ...Object.keys(shortCallPaths),
]);
