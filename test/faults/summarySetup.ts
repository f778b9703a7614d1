import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { clearLedger, readLedger, renderLedger, type FaultRecord } from './faultLedger.ts';
import { scanCapturedLogs } from './secretScan.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    faultLedger: string;
    /** Where stacks append every log line, and where tests list the secrets to look for. */
    faultCapture: { logFile: string; secretsFile: string };
  }
}

/**
 * Prints what the fault suite injected and what it found, once every scenario has run.
 * Last, it scans every log line the stacks wrote during the suite for every secret the
 * suite knew (API keys, admin tokens, encryption keys, webhook signing secrets).
 */
export default function setup(project: TestProject): () => void {
  const ledger = join(tmpdir(), `tributary-faults-${process.pid}.jsonl`);
  const captureDir = mkdtempSync(join(tmpdir(), 'tributary-faults-logs-'));
  const capture = {
    logFile: join(captureDir, 'stacks.log'),
    secretsFile: join(captureDir, 'secrets.jsonl'),
  };
  clearLedger(ledger);
  project.provide('faultLedger', ledger);
  project.provide('faultCapture', capture);
  return () => {
    const records = readLedger(ledger);
    clearLedger(ledger);
    const scan = scanCapturedLogs(capture.logFile, capture.secretsFile);
    rmSync(captureDir, { recursive: true, force: true });
    if (records.length === 0) return;
    const secretsRow: FaultRecord = {
      scenario: 'security: secrets in captured logs',
      faultsInjected: 0,
      eventsSent: 0,
      lost: 0,
      duplicated: 0,
      serverErrorsOnBadInput: 0,
      note: `${scan.lines} log lines scanned for ${scan.secrets} secrets: ${scan.leaked} found`,
    };
    process.stdout.write(`\nFault suite summary\n${renderLedger([...records, secretsRow])}\n`);
    if (scan.leaked > 0 || scan.lines === 0 || scan.secrets === 0)
      throw new Error(`Secret scan of the fault suite's logs failed: ${secretsRow.note}`);
  };
}
