/**
 * The warehouse end to end, 202 → loaded: a fresh set of batches ingested while loader
 * runs follow each other back to back, timed by the TimedWarehouse around the real one.
 */
import { runLoader } from '../../functions/src/warehouse/loadWarehouse.ts';
import type { TestPipeline } from '../../test/support/pipeline.ts';
import { headersFor } from './httpLoad.ts';
import type { BenchResult } from './results.ts';
import { batchSize, sampleEvent, warehouseEvents } from './settings.ts';
import { percentile, round } from './stats.ts';
import type { TimedWarehouse } from './timedWarehouse.ts';
import { loaderDeps } from '../../functions/src/entries/warehouse.ts';

export async function measureWarehouseLoad(
  pipeline: TestPipeline,
  warehouse: TimedWarehouse,
): Promise<NonNullable<BenchResult['endToEnd']['warehouse']>> {
  // Drain what earlier runs left, so only the fresh set is timed.
  const loader = loaderDeps(pipeline.runtime);
  await runLoader(loader);
  warehouse.reset();
  const sent = (async () => {
    for (let i = 0; i < warehouseEvents / batchSize; i += 1) {
      const response = await fetch(`${pipeline.urls.ingest}/v1/events/batch`, {
        method: 'POST',
        headers: headersFor(pipeline.apiKey),
        body: JSON.stringify({ events: Array.from({ length: batchSize }, () => sampleEvent) }),
      });
      if (response.status !== 202) throw new Error(`warehouse batch: ${response.status}`);
    }
  })();
  const loadDeadline = Date.now() + 180_000;
  while (warehouse.rows < warehouseEvents) {
    if (Date.now() > loadDeadline) throw new Error('warehouse run did not load every event');
    await runLoader(loader);
  }
  await sent;
  return {
    events: warehouse.rows,
    eventsPerSecond: round(warehouse.rows / (warehouse.spanMs() / 1000), 0),
    p50Ms: percentile(warehouse.latencies, 50) ?? 0,
    p99Ms: percentile(warehouse.latencies, 99) ?? 0,
  };
}
