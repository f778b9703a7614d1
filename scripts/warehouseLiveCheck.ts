/**
 * `npm run warehouse:live-check [-- --create]`: checks the BigQuery warehouse of a real
 * project end to end, with the code the functions run: the table matches the spec,
 * rows written through the Storage Write API (one of them twice, as a redelivery
 * would) are queryable at once, and the metrics SQL counts each event once.
 *
 * Needs GOOGLE_CLOUD_PROJECT (or BIGQUERY_PROJECT) and Application Default Credentials
 * allowed to write and query the dataset. `--create` creates the dataset and table
 * from the spec when they are missing. The check leaves three rows of event type
 * `tributary.live_check` in the table.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { BigQuery } from '@google-cloud/bigquery';
import { eventsTable } from '../infra/spec.ts';
import { loadConfig } from '../functions/src/lib/config.ts';
import { utcDay } from '../functions/src/metrics/dates.ts';
import { WarehouseMetrics } from '../functions/src/metrics/warehouseMetrics.ts';
import { BigQueryWarehouse } from '../functions/src/warehouse/bigQueryWarehouse.ts';
import {
  bigQuerySchemaChange,
  bigQueryTableOptions,
} from '../functions/src/warehouse/tableSchema.ts';
import type { WarehouseRow } from '../functions/src/warehouse/warehouse.ts';

const { values } = parseArgs({ options: { create: { type: 'boolean', default: false } } });
if (!process.env.GOOGLE_CLOUD_PROJECT && !process.env.BIGQUERY_PROJECT) {
  console.error(
    'Set GOOGLE_CLOUD_PROJECT (or BIGQUERY_PROJECT) to a real project, and log in with: gcloud auth application-default login',
  );
  process.exit(2);
}
const config = loadConfig({ ...process.env, WAREHOUSE: 'bigquery' });
const projectId = config.bigQueryProject;
const location = config.bigQueryLocation;
const bigquery = new BigQuery({ projectId, ...(location ? { location } : {}) });
const failures: string[] = [];
const check = (ok: boolean, what: string) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
};

// 1. The table, as the spec declares it.
const dataset = bigquery.dataset(eventsTable.dataset);
const table = dataset.table(eventsTable.name);
const reference = `${projectId}.${eventsTable.dataset}.${eventsTable.name}`;
if (!(await table.exists())[0]) {
  if (!values.create) {
    console.error(`${reference} does not exist. Provision it, or run again with -- --create.`);
    process.exit(1);
  }
  if (!(await dataset.exists())[0]) await dataset.create(location ? { location } : {});
  await table.create(bigQueryTableOptions(eventsTable));
  console.log(`created ${reference}`);
}
const [metadata] = (await table.getMetadata()) as unknown as [
  {
    schema?: { fields?: { name?: string; type?: string }[] };
    timePartitioning?: { type?: string; field?: string };
    clustering?: { fields?: string[] };
  },
];
const change = bigQuerySchemaChange(eventsTable, metadata.schema?.fields ?? []);
check(
  change.add.length === 0 && change.conflicts.length === 0,
  `${reference} has the spec's columns${change.add.length ? ` (missing: ${change.add.map((f) => f.name).join(', ')})` : ''}${change.conflicts.length ? ` (${change.conflicts.join('; ')})` : ''}`,
);
check(
  metadata.timePartitioning?.field === eventsTable.partition.field,
  `partitioned by day on ${eventsTable.partition.field}`,
);
check(
  JSON.stringify(metadata.clustering?.fields ?? []) === JSON.stringify(eventsTable.clustering),
  `clustered by ${eventsTable.clustering.join(', ')}`,
);

// 2. Rows written as loadWarehouse writes them; the first one delivered twice.
const warehouse = new BigQueryWarehouse({
  projectId,
  table: eventsTable,
  queryClient: () => Promise.resolve(bigquery),
  ...(location ? { location } : {}),
});
const now = new Date();
const rows: WarehouseRow[] = [0, 1, 2].map((i) => ({
  event_id: randomUUID(),
  event_type: 'tributary.live_check',
  source: 'live-check',
  producer: 'warehouse:live-check',
  site_id: null,
  user_id: null,
  path: null,
  occurred_at: now,
  received_at: now,
  processed_at: now,
  payload: JSON.stringify({ i }),
  metadata: null,
}));
try {
  const first = await warehouse.write(rows);
  const again = await warehouse.write([rows[0]!]);
  check(
    first.rejected.length === 0 && again.rejected.length === 0,
    'Storage Write API accepted every row',
  );

  // 3. Queryable at once, each event counted once.
  const [stored] = await warehouse.query(
    `SELECT COUNT(*) AS stored_rows, COUNT(DISTINCT event_id) AS events
     FROM \`${eventsTable.dataset}.${eventsTable.name}\`
     WHERE occurred_at >= TIMESTAMP(@since) AND event_id IN UNNEST(SPLIT(@ids))`,
    {
      since: new Date(now.getTime() - 60_000).toISOString(),
      ids: rows.map((r) => r.event_id).join(','),
    },
  );
  check(Number(stored?.stored_rows) === 4, `4 rows stored (got ${String(stored?.stored_rows)})`);
  check(Number(stored?.events) === 3, `3 distinct events (got ${String(stored?.events)})`);

  // 4. The metrics SQL of the API and the nightly recomputation.
  const today = utcDay(now);
  const counts = await new WarehouseMetrics(warehouse, { topPaths: 10 }).dailyCounts({
    from: today,
    to: today,
  });
  const liveChecks = counts.find((c) => c.eventType === 'tributary.live_check')?.count ?? 0;
  check(liveChecks >= 3, `daily metrics count the check's events (${liveChecks} today)`);
} finally {
  await warehouse.close();
}

console.log(
  failures.length === 0
    ? '\nThe BigQuery warehouse works.'
    : `\n${failures.length} check(s) failed.`,
);
process.exit(failures.length === 0 ? 0 : 1);
