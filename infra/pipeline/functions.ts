/** The Cloud Functions: sizing, identity, and what each publishes, pulls and reads. */
import { warehouseLoaderSubscription } from './subscriptions.ts';
import { topics } from './topics.ts';
import type { FunctionSpec } from './types.ts';

export const functions: readonly FunctionSpec[] = [
  {
    // Single events that reach one instance during a publish share the next message
    // (group commit), so a group is about the events an instance takes in one publish
    // (10–30 ms). The platform scales out at ~60% of the concurrency (~50 requests held),
    // which at ~0.5 ms of CPU a request is ~1,000–1,500 events/s per instance: groups of
    // 20–30 form well before that. A higher concurrency would only queue requests behind
    // a saturated CPU.
    name: 'ingest',
    trigger: 'http',
    public: true,
    memory: '512Mi',
    timeoutSeconds: 60,
    minInstances: 0,
    maxInstances: 100,
    concurrency: 80,
    secrets: ['SUBJECT_HASH_KEY'],
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
    secrets: ['ADMIN_TOKEN', 'ENCRYPTION_KEY', 'SUBJECT_HASH_KEY'],
    serviceAccount: 'api',
    warehouse: 'read',
    // workspace-fetch: an operator's "poll this source now".
    publishes: [topics.events.name, topics.deliveries.name, topics.workspaceFetch.name],
    pulls: [],
  },
  {
    // CPU-bound: a push costs about 3 ms of CPU whatever it carries (the framework, one
    // create or batched create, one publish) plus about 0.2 ms per event. A message of
    // one (a lone request) drains at most ~340 pushes/s on one vCPU; at a cloud service
    // time of ~30 ms that takes ~10 pushes in flight, and 20 leave room for slow round
    // trips without queueing pushes behind a saturated CPU, as 80 did. Group commit makes
    // messages of tens of events under load (~5 ms and ~60 ms in the cloud for 20), and a
    // full message of 500 (4 MB) costs ~100 ms of CPU and ~250 ms: 3 in flight keep a vCPU
    // busy at ~5,000 events/s, so the same 20 leave room. Memory is what the largest
    // messages need: a full one is held as its push body, its data, its events and its
    // records (~20 MB), and 20 of them fit in 1 GiB.
    name: 'processEvent',
    trigger: 'pubsub-push',
    public: false,
    memory: '1Gi',
    timeoutSeconds: 60,
    minInstances: 0,
    maxInstances: 100,
    concurrency: 20,
    secrets: ['SUBJECT_HASH_KEY'],
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
    secrets: ['SUBJECT_HASH_KEY'],
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
    secrets: ['ENCRYPTION_KEY', 'SUBJECT_HASH_KEY'],
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
    secrets: ['SUBJECT_HASH_KEY'],
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
  {
    // One page of a quarantine replay per push: check, requeue or keep, then publish the
    // next step. Rare and I/O-bound; one job's steps run one after another.
    name: 'replayQuarantine',
    trigger: 'pubsub-push',
    public: false,
    memory: '512Mi',
    timeoutSeconds: 300,
    minInstances: 0,
    maxInstances: 5,
    concurrency: 4,
    secrets: ['SUBJECT_HASH_KEY'],
    serviceAccount: 'processor',
    publishes: [topics.events.name, topics.quarantineReplay.name],
    pulls: [],
  },
  {
    // Works one privacy regulation per push: lists its subjects, then erases them from
    // every store and tells the receivers. Rare; redelivered until its receipts are written.
    name: 'runRegulation',
    trigger: 'pubsub-push',
    public: false,
    memory: '512Mi',
    timeoutSeconds: 540,
    minInstances: 0,
    maxInstances: 2,
    concurrency: 1,
    secrets: ['SUBJECT_HASH_KEY'],
    serviceAccount: 'processor',
    publishes: [topics.deliveries.name],
    pulls: [],
    warehouse: 'write',
  },
  {
    name: 'recordFailedRegulation',
    trigger: 'pubsub-push',
    public: false,
    memory: '256Mi',
    timeoutSeconds: 60,
    minInstances: 0,
    maxInstances: 1,
    concurrency: 10,
    secrets: [],
    serviceAccount: 'processor',
    publishes: [],
    pulls: [],
  },
];
