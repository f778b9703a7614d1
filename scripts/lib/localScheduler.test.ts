import { describe, expect, it } from 'vitest';
import type { ScheduleSpec } from '../../infra/spec.ts';
import { LocalScheduler } from './localScheduler.ts';
import { sleep } from './emulators.ts';

const everySecond: ScheduleSpec = {
  name: 'tick',
  description: '',
  cron: '* * * * * *',
  timeZone: 'Etc/UTC',
  topic: 'ticks',
  data: { n: 1 },
};

describe('LocalScheduler', () => {
  it('publishes each job’s data to its topic on its cron', async () => {
    const published: string[] = [];
    const scheduler = new LocalScheduler(
      [everySecond],
      async (topic, data) => published.push(`${topic} ${data.toString()}`),
      () => undefined,
    );
    try {
      for (let waited = 0; published.length < 2 && waited < 5000; waited += 50) await sleep(50);
      expect(published.slice(0, 2)).toEqual(['ticks {"n":1}', 'ticks {"n":1}']);
    } finally {
      scheduler.stop();
    }
    const count = published.length;
    await sleep(1200);
    expect(published).toHaveLength(count);
  });

  it('runs a job on demand and reports a failed publish without stopping', async () => {
    const lines: string[] = [];
    let attempts = 0;
    const scheduler = new LocalScheduler(
      [{ ...everySecond, cron: '0 0 1 1 *' }],
      async () => {
        attempts += 1;
        throw new Error('emulator gone');
      },
      (line) => lines.push(line),
    );
    try {
      await scheduler.runNow('tick');
      await scheduler.runNow('tick');
      expect(attempts).toBe(2);
      expect(lines[0]).toBe('[scheduler] tick: publishing to ticks failed: emulator gone\n');
      expect(scheduler.nextRuns().tick?.toISOString()).toMatch(/-01-01T00:00:00\.000Z$/);
      await expect(scheduler.runNow('nope')).rejects.toThrow('No schedule named nope');
    } finally {
      scheduler.stop();
    }
  });
});
