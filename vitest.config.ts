import { defineConfig } from 'vitest/config';

const emulators = './test/support/emulatorsSetup.ts';

/**
 * Files against the emulators mostly wait (on pushes, polls, a stack starting), so two
 * run at once even on two cores; vitest's default there is one. The fault suite stays one
 * file at a time: its scenarios measure what a stack does under a fault.
 */
const waitingWorkers = 2;

export default defineConfig({
  test: {
    reporters: ['default', './test/support/summaryReporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['functions/src/**/*.test.ts', 'infra/**/*.test.ts', 'scripts/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: [emulators],
          maxWorkers: waitingWorkers,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          globalSetup: [emulators, './test/faults/summarySetup.ts'],
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: [emulators],
          maxWorkers: waitingWorkers,
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // A page waits on a stack that shares the cores with another file's: what it
          // shows is checked, not how fast (the console's budgets are measured apart).
          expect: { poll: { timeout: 15_000 } },
        },
      },
    ],
  },
});
