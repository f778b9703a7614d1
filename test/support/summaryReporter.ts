import { appendFileSync } from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';

/**
 * Ends the run with one plain line, `N passed, N failed, N skipped`, for tools that read
 * it; with `TEST_COUNTS_FILE` set (by `npm test`, which runs vitest in stages) the counts
 * are also appended there as a JSON line, for the stages' total.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const module of testModules) {
      const failedBefore = counts.failed;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') counts.passed += 1;
        else if (state === 'failed') counts.failed += 1;
        else counts.skipped += 1;
      }
      // A file that failed outside its tests (a hook, an import) counts as one failure.
      if (module.state() === 'failed' && counts.failed === failedBefore) counts.failed += 1;
    }
    process.stdout.write(
      `\n${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`,
    );
    const file = process.env.TEST_COUNTS_FILE;
    if (file) appendFileSync(file, `${JSON.stringify(counts)}\n`);
  }
}
