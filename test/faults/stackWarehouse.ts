import { eventsTable, topics } from '../../infra/spec.ts';
import { openReadOnlyWarehouse } from '../../functions/src/warehouse/duckDbWarehouse.ts';
import { sleep } from '../../scripts/lib/emulators.ts';
import { localWarehousePath } from '../../scripts/lib/localStack.ts';
import type { StackHarness } from './stackHarness.ts';

/** The local stack's warehouse, for fault scenarios: drained through its loader, then read. */

type LoaderRun = { messages: number; stoppedBy: string };

const loaderRunPrefix = '[loadWarehouse] ';

/** The first loader run reported in the logs from `mark` on. */
async function loaderRunAfter(
  logs: string[],
  mark: number,
  timeoutMs: number,
): Promise<LoaderRun | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const chunk of logs.slice(mark))
      for (const line of chunk.split('\n')) {
        if (!line.startsWith(loaderRunPrefix) || !line.includes('"warehouse load run"')) continue;
        try {
          return JSON.parse(line.slice(loaderRunPrefix.length)) as LoaderRun;
        } catch {
          // Not a JSON line.
        }
      }
    if (Date.now() > deadline) return undefined;
    await sleep(200);
  }
}

/** Starts loader runs until two in a row find nothing left to load. */
export async function drainWarehouse(harness: StackHarness): Promise<void> {
  const trigger = harness.pubsub.topic(topics.warehouseLoad.name);
  let empty = 0;
  for (let round = 0; round < 30; round += 1) {
    const mark = harness.logs.length;
    await trigger.publishMessage({ json: { runs: 1 } });
    const run = await loaderRunAfter(harness.logs, mark, 15_000);
    empty = run && run.messages === 0 && run.stoppedBy === 'drained' ? empty + 1 : 0;
    if (empty === 2) return;
  }
  throw new Error('the warehouse loader did not drain');
}

/** Rows per event id in the stack's local warehouse. */
export async function warehouseRows(harness: StackHarness): Promise<Map<string, number>> {
  const warehouse = openReadOnlyWarehouse(localWarehousePath(harness.stateDir), eventsTable);
  try {
    const rows = await warehouse.query(
      'SELECT event_id, COUNT(*) AS n FROM tributary.events GROUP BY event_id',
      {},
    );
    return new Map(rows.map((row) => [String(row.event_id), Number(row.n)]));
  } finally {
    await warehouse.close();
  }
}
