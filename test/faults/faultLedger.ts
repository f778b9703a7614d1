import { appendFileSync, existsSync, readFileSync, rmSync } from 'node:fs';

/** One fault scenario's outcome, for the summary table the suite prints at the end. */
export type FaultRecord = {
  scenario: string;
  faultsInjected: number;
  eventsSent: number;
  lost: number;
  duplicated: number;
  serverErrorsOnBadInput: number;
  note: string;
};

export function recordFault(ledgerFile: string, record: FaultRecord): void {
  appendFileSync(ledgerFile, `${JSON.stringify(record)}\n`);
}

export function readLedger(ledgerFile: string): FaultRecord[] {
  if (!existsSync(ledgerFile)) return [];
  return readFileSync(ledgerFile, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as FaultRecord);
}

export function clearLedger(ledgerFile: string): void {
  rmSync(ledgerFile, { force: true });
}

export function renderLedger(records: FaultRecord[]): string {
  const header = [
    'scenario',
    'faults injected',
    'events sent',
    'lost',
    'duplicated',
    '5xx on bad input',
    'note',
  ];
  const rows = records.map((r) =>
    [
      r.scenario,
      r.faultsInjected,
      r.eventsSent,
      r.lost,
      r.duplicated,
      r.serverErrorsOnBadInput,
      r.note,
    ].map(String),
  );
  const total = [
    'total',
    ...[1, 2, 3, 4, 5].map((i) => String(rows.reduce((sum, row) => sum + Number(row[i]), 0))),
    '',
  ];
  const table = [header, ...rows, total];
  const widths = header.map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length)));
  return table
    .map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  '))
    .join('\n');
}
