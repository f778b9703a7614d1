import { Cron } from 'croner';
import type { ScheduleSpec } from '../../infra/spec.ts';

export type PublishSchedule = (topic: string, data: Buffer) => Promise<unknown>;

/**
 * Cloud Scheduler on this machine: each job of the spec publishes its data to its
 * topic on its cron, in its time zone, as the Cloud Scheduler job does in the cloud.
 */
export class LocalScheduler {
  readonly #jobs = new Map<string, Cron>();

  constructor(
    schedules: readonly ScheduleSpec[],
    publish: PublishSchedule,
    log: (line: string) => void,
  ) {
    for (const schedule of schedules) {
      const run = async (): Promise<void> => {
        try {
          await publish(schedule.topic, Buffer.from(JSON.stringify(schedule.data)));
        } catch (error) {
          log(
            `[scheduler] ${schedule.name}: publishing to ${schedule.topic} failed: ${error instanceof Error ? error.message : String(error)}\n`,
          );
        }
      };
      // protect: a run still publishing when the next is due is not doubled.
      const job = new Cron(schedule.cron, { timezone: schedule.timeZone, protect: true }, run);
      this.#jobs.set(schedule.name, job);
    }
  }

  /** When each job runs next. */
  nextRuns(): Record<string, Date | null> {
    return Object.fromEntries([...this.#jobs].map(([name, job]) => [name, job.nextRun()]));
  }

  /** Runs a job now, as `gcloud scheduler jobs run` does. */
  async runNow(name: string): Promise<void> {
    const job = this.#jobs.get(name);
    if (!job) throw new Error(`No schedule named ${name}.`);
    await job.trigger();
  }

  stop(): void {
    for (const job of this.#jobs.values()) job.stop();
    this.#jobs.clear();
  }
}
