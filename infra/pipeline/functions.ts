/** The Cloud Functions: sizing, identity, and what each publishes, pulls and reads. */
import { warehouseLoaderSubscription } from './subscriptions.ts';
import { topics } from './topics.ts';
import type { FunctionSpec } from './types.ts';

export const functions: readonly FunctionSpec[] = [
  {
    name: 'ingest',
    trigger: 'http',
    public: true,
    memory: '512Mi',
    timeoutSeconds: 60,
    minInstances: 0,
    maxInstances: 100,
    concurrency: 80,
    secrets: [],
    serviceAccount: 'ingest',
    publishes: [topics.events.name],
    pulls: [],
  },
  {
    name: 'api',
    trigger: 'http',
    public: true,
    memory: '512Mi',
    timeoutSeconds: 300,
    minInstances: 0,
    maxInstances: 10,
    concurrency: 40,
    secrets: ['ADMIN_TOKEN', 'ENCRYPTION_KEY'],
    serviceAccount: 'api',
    warehouse: 'read',
    // workspace-fetch: an operator's "poll this source now".
    publishes: [topics.events.name, topics.deliveries.name, topics.workspaceFetch.name],
    pulls: [],
  },
  {
    // CPU-bound: about 3 ms of CPU per push of one event (measured by the bench) on its
    // one vCPU, so an instance drains at most ~340 such pushes/s whatever its
    // concurrency. At a cloud service time of ~30 ms (one Firestore write beside one
    // publish) that takes ~10 pushes in flight; 20 leaves room for slow round trips
    // without queueing pushes behind a saturated CPU, as 80 did. 100 instances at the
    // autoscaler's 60% CPU target: ~20,000 events/s.
    // A message of many events (up to 500, 4 MB) costs about 0.2 ms of CPU per event
    // (~100 ms a message) and ~250 ms in the cloud (batched writes of 20 beside the
    // packed publish): 3 in flight keep a vCPU busy at ~5,000 events/s, so the same 20
    // leave room. Memory is what such messages need: a full one is held as its push body,
    // its data, its events and its records (~20 MB), and 20 of them fit in 1 GiB.
    name: 'processEvent',
    trigger: 'pubsub-push',
    public: false,
    memory: '1Gi',
    timeoutSeconds: 60,
    minInstances: 0,
    maxInstances: 100,
    concurrency: 20,
    secrets: [],
    serviceAccount: 'processor',
    publishes: [topics.eventsProcessed.name, topics.deliveries.name],
    pulls: [],
  },
  {
    name: 'recordDeadLetter',
    trigger: 'pubsub-push',
    public: false,
    memory: '256Mi',
    timeoutSeconds: 60,
    minInstances: 0,
    // Rare and I/O-bound (one read, one write): a few instances with many pushes each.
    maxInstances: 10,
    concurrency: 80,
    secrets: [],
    serviceAccount: 'processor',
    // A dead-letter copy of an unconfirmed claim publishes its fan-out again.
    publishes: [topics.eventsProcessed.name, topics.deliveries.name],
    pulls: [],
  },
  {
    name: 'deliverWebhook',
    trigger: 'pubsub-push',
    public: false,
    memory: '256Mi',
    timeoutSeconds: 60,
    minInstances: 0,
    maxInstances: 100,
    // I/O-bound: a push waits for the receiver (up to its timeout) on little CPU.
    concurrency: 80,
    secrets: ['ENCRYPTION_KEY'],
    serviceAccount: 'processor',
    publishes: [],
    pulls: [],
  },
  {
    name: 'recordExhaustedDelivery',
    trigger: 'pubsub-push',
    public: false,
    memory: '256Mi',
    timeoutSeconds: 60,
    minInstances: 0,
    // Rare and I/O-bound, like recordDeadLetter.
    maxInstances: 10,
    concurrency: 80,
    secrets: [],
    serviceAccount: 'processor',
    publishes: [],
    pulls: [],
  },
  {
    // One run per instance; parallel runs (on demand, or a slow run overlapping the
    // next minute) pull the same subscription from separate instances.
    name: 'loadWarehouse',
    trigger: 'pubsub-push',
    public: false,
    memory: '1Gi',
    timeoutSeconds: 300,
    minInstances: 0,
    maxInstances: 4,
    concurrency: 1,
    secrets: [],
    serviceAccount: 'processor',
    publishes: [],
    pulls: [warehouseLoaderSubscription],
    warehouse: 'write',
  },
  {
    name: 'recomputeMetrics',
    trigger: 'pubsub-push',
    public: false,
    memory: '512Mi',
    timeoutSeconds: 540,
    minInstances: 0,
    maxInstances: 1,
    concurrency: 1,
    secrets: [],
    serviceAccount: 'processor',
    publishes: [],
    pulls: [],
    warehouse: 'read',
  },
  {
    name: 'pollWorkspace',
    trigger: 'pubsub-push',
    public: false,
    memory: '256Mi',
    timeoutSeconds: 60,
    minInstances: 0,
    maxInstances: 1,
    concurrency: 1,
    secrets: [],
    serviceAccount: 'processor',
    publishes: [topics.workspaceFetch.name],
    pulls: [],
  },
  {
    // Decrypts the source's credentials; publishes the activities as events, and a
    // continuation when a window is too long for one run.
    name: 'fetchWorkspaceLogs',
    trigger: 'pubsub-push',
    public: false,
    memory: '512Mi',
    timeoutSeconds: 300,
    minInstances: 0,
    maxInstances: 20,
    concurrency: 4,
    secrets: ['ENCRYPTION_KEY'],
    serviceAccount: 'processor',
    publishes: [topics.events.name, topics.workspaceFetch.name],
    pulls: [],
  },
  {
    name: 'recordExhaustedFetch',
    trigger: 'pubsub-push',
    public: false,
    memory: '256Mi',
    timeoutSeconds: 60,
    minInstances: 0,
    maxInstances: 2,
    concurrency: 20,
    secrets: [],
    serviceAccount: 'processor',
    publishes: [],
    pulls: [],
  },
];
