import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { clearLedger, readLedger, renderLedger } from './faultLedger.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    faultLedger: string;
  }
}

/** Prints what the fault suite injected and what it found, once every scenario has run. */
export default function setup(project: TestProject): () => void {
  const ledger = join(tmpdir(), `tributary-faults-${process.pid}.jsonl`);
  clearLedger(ledger);
  project.provide('faultLedger', ledger);
  return () => {
    const records = readLedger(ledger);
    clearLedger(ledger);
    if (records.length > 0)
      process.stdout.write(`\nFault suite summary\n${renderLedger(records)}\n`);
  };
}
