/** The Cloud Scheduler jobs; they publish to topics, so they come last. */
import { schedules } from '../spec.ts';
import { provisionStep, type DeployStep } from './deployStep.ts';

export function scheduleSteps(region: string): DeployStep[] {
  return schedules.map((schedule) =>
    provisionStep(
      { type: 'schedule', name: schedule.name },
      {
        schedule: schedule.cron,
        timeZone: schedule.timeZone,
        topic: schedule.topic,
        data: schedule.data,
        location: region,
      },
    ),
  );
}
