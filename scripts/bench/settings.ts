/** The benchmark's tunables, the event every scenario sends, and the progress log. */

export const connections = 50;
/**
 * The publish floor sends each request's body as a message of its own, with the client
 * batching the messages of concurrent requests within this window: the best a design of
 * one message per request did (ingest's own setting before its group commit).
 */
export const floorPublishBatchMs = 5;
export const singleSeconds = 8;
export const singlePasses = 3;
/** One connection, one request at a time: how long each pass of a lone request lasts. */
export const loneSeconds = 4;
export const warmupSeconds = 5;
export const batchSize = 500;
export const batchSeconds = 8;
export const rawPublishMessages = 30_000;
export const pushCeilingMessages = 2_000;
export const endToEndEvents = 10_000;
export const endToEndWarmupEvents = 2_000;
export const sustainedRate = 1_000;
export const probeEvents = 3_000;
export const sustainedSeconds = 30;
/** The batch path: events in calls of `batchSize`, published as messages of many events. */
export const batchPathEvents = 20_000;
export const batchPathWarmupEvents = 5_000;
export const sustainedBatchRate = 1_000;
export const warehouseEvents = 2_000;
/**
 * The tracking plan on the batch path: this many types enforced, passes of this many
 * events with and without it (ABBA), after a warm-up of each; one event in
 * `trackingPlanViolatingEvery` breaks its schema.
 */
export const trackingPlanTypes = 50;
export const trackingPlanPassEvents = 8_000;
export const trackingPlanPasses = 10;
export const trackingPlanWarmupEvents = 5_000;
/** Sent, unmeasured, to a stack before its run when the other stack ran last. */
export const trackingPlanRewarmEvents = 2_000;
export const trackingPlanViolatingEvery = 50;
/** People on the suppression list of the suppression scenario's one arm. */
export const suppressedSubjects = 100_000;
/** Passes of each arm (and the floor) in the suppression scenario. */
export const suppressionPasses = 8;
/** Seconds of each run of the suppression scenario. */
export const suppressionSeconds = 6;

export const sampleEvent = {
  eventType: 'page.viewed',
  payload: { title: 'Pricing', referrer: 'search' },
  siteId: 'bench',
  userId: 'u-1',
  path: '/pricing',
};
export const singleBody = JSON.stringify(sampleEvent);
export const batchBody = JSON.stringify({
  events: Array.from({ length: batchSize }, () => sampleEvent),
});

export const log = (line: string) => process.stdout.write(`${line}\n`);
