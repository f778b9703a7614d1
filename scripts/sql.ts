/**
 * `npm run sql -- "<query>" [--json | --csv]`: runs SQL against the local warehouse (the
 * DuckDB file of `npm start`), read-only, while the stack runs or not. The table is
 * `tributary.events`, as in BigQuery. `--csv` writes a file for spreadsheets, with
 * formula-looking cells neutralised.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { eventsTable } from '../infra/spec.ts';
import { spreadsheetCsvLine } from '../functions/src/lib/spreadsheetText.ts';
import { openReadOnlyWarehouse } from '../functions/src/warehouse/duckDbWarehouse.ts';
import { localWarehousePath, projectRoot } from './lib/localStack.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    json: { type: 'boolean', default: false },
    csv: { type: 'boolean', default: false },
  },
});
const sql = positionals.join(' ').trim();
if (!sql) {
  console.error(
    'usage: npm run sql -- "SELECT event_type, COUNT(DISTINCT event_id) FROM tributary.events GROUP BY 1" [--json | --csv]',
  );
  process.exit(2);
}

const env = process.env;
const path =
  env.WAREHOUSE_DUCKDB_PATH ??
  localWarehousePath(env.TRIBUTARY_STATE_DIR ?? join(projectRoot, '.tributary'));
if (!existsSync(path)) {
  console.error(
    `No local warehouse at ${path} yet. Start the stack (npm start), send events (npm run demo), and wait for the loader (every minute, or now: npm run job -- load-warehouse).`,
  );
  process.exit(1);
}

const warehouse = openReadOnlyWarehouse(path, eventsTable);
try {
  const rows = await warehouse.query(sql, {});
  if (values.json) {
    for (const row of rows) console.log(JSON.stringify(row));
  } else if (values.csv) {
    const columns = rows[0] ? Object.keys(rows[0]) : [];
    console.log(spreadsheetCsvLine(columns));
    for (const row of rows) console.log(spreadsheetCsvLine(columns.map((column) => row[column])));
  } else {
    console.log(formatTable(rows));
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
} finally {
  await warehouse.close();
}

/** Rows as an aligned text table, like a SQL console prints them. */
function formatTable(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return '(no rows)';
  const columns = Object.keys(rows[0]!);
  const cells = rows.map((row) => columns.map((column) => cell(row[column])));
  const widths = columns.map((column, i) =>
    Math.min(60, Math.max(column.length, ...cells.map((line) => line[i]!.length))),
  );
  const line = (texts: string[]) =>
    texts.map((text, i) => truncate(text, widths[i]!).padEnd(widths[i]!)).join(' │ ');
  return [
    line(columns),
    widths.map((width) => '─'.repeat(width)).join('─┼─'),
    ...cells.map(line),
    `(${rows.length} row${rows.length === 1 ? '' : 's'})`,
  ].join('\n');
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function truncate(value: string, width: number): string {
  return value.length > width ? `${value.slice(0, width - 1)}…` : value;
}
