/** The benchmark's tunables, the event every scenario sends, and the progress log. */

export const connections = 50;
export const singleSeconds = 8;
export const singlePasses = 3;
export const warmupSeconds = 5;
export const batchSize = 500;
export const batchSeconds = 8;
export const rawPublishMessages = 30_000;
export const pushCeilingMessages = 2_000;
export const endToEndEvents = 10_000;
export const endToEndWarmupEvents = 2_000;
export const sustainedRate = 200;
export const probeEvents = 3_000;
/** End-to-end events/s of the design that read before it wrote (three round trips a push). */
export const endToEndBefore = 100;
export const sustainedSeconds = 30;
/** The batch path: events in calls of `batchSize`, published as messages of many events. */
export const batchPathEvents = 20_000;
export const batchPathWarmupEvents = 5_000;
export const sustainedBatchRate = 1_000;
export const warehouseEvents = 2_000;

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
