import { describe, expect, it } from 'vitest';
import { columnsToAdd, desiredJob, jobDiffers } from './provisioner.ts';
import type { ColumnSpec } from './spec.ts';

const column = (name: string, mode: ColumnSpec['mode'] = 'REQUIRED'): ColumnSpec => ({
  name,
  type: 'STRING',
  mode,
  description: name,
});

describe('columnsToAdd', () => {
  it('adds only the missing columns, as NULLABLE, whatever the case of existing names', () => {
    expect(columnsToAdd([{ name: 'EVENT_ID' }], [column('event_id'), column('site_id')])).toEqual([
      column('site_id', 'NULLABLE'),
    ]);
    expect(columnsToAdd([{ name: 'event_id' }], [column('event_id')])).toEqual([]);
  });
});

describe('scheduler jobs', () => {
  const spec = {
    name: 'nightly',
    description: 'd',
    cron: '0 3 * * *',
    timeZone: 'Etc/UTC',
    topic: 't',
    data: { a: 1 },
  };
  const job = desiredJob(spec, 'p', 'projects/p/locations/europe-west1');

  it('targets the topic with the spec’s body', () => {
    expect(job.name).toBe('projects/p/locations/europe-west1/jobs/nightly');
    expect(job.pubsubTarget.topicName).toBe('projects/p/topics/t');
    expect(JSON.parse(job.pubsubTarget.data.toString())).toEqual({ a: 1 });
  });

  it('sees no difference in the job as the API returns it, and sees a changed schedule', () => {
    const current = {
      ...job,
      pubsubTarget: {
        topicName: job.pubsubTarget.topicName,
        data: new Uint8Array(job.pubsubTarget.data),
      },
    };
    expect(jobDiffers(current, job)).toBe(false);
    expect(jobDiffers({ ...current, schedule: '0 4 * * *' }, job)).toBe(true);
    expect(
      jobDiffers(
        { ...current, pubsubTarget: { ...current.pubsubTarget, data: Buffer.from('{}') } },
        job,
      ),
    ).toBe(true);
  });
});
