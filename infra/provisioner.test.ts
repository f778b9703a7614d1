import { describe, expect, it } from 'vitest';
import { firestoreCompositeIndexes } from './deploy/firestoreSteps.ts';
import {
  columnsToAdd,
  desiredJob,
  firestoreIndexProvisioners,
  indexMatches,
  jobDiffers,
  type FirestoreIndexAdmin,
} from './provisioner.ts';
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

describe('Firestore composite indexes', () => {
  const fields = [
    { fieldPath: 'status', order: 'ASCENDING' as const },
    { fieldPath: 'failedAt', order: 'DESCENDING' as const },
  ];

  it('match an existing index as the API lists it, with its implicit __name__', () => {
    const listed = {
      queryScope: 'COLLECTION',
      fields: [...fields, { fieldPath: '__name__', order: 'DESCENDING' }],
    };
    expect(indexMatches(listed, fields)).toBe(true);
    expect(indexMatches({ ...listed, queryScope: 'COLLECTION_GROUP' }, fields)).toBe(false);
    expect(
      indexMatches({ ...listed, queryScope: 'COLLECTION_GROUP' }, fields, 'COLLECTION_GROUP'),
    ).toBe(true);
    expect(indexMatches({ fields: [...fields].reverse() }, fields)).toBe(false);
  });

  it('are created once: a second run finds them', async () => {
    const created: unknown[] = [];
    const admin: FirestoreIndexAdmin = {
      listIndexes: () =>
        Promise.resolve([created.map((c) => (c as { index: { fields: unknown } }).index) as never]),
      createIndex: (request) => {
        created.push(request);
        return Promise.resolve();
      },
    };
    const provision = firestoreIndexProvisioners(admin, 'p')['firestore-index']!;
    const [index] = firestoreCompositeIndexes();
    const step = {
      kind: 'provision' as const,
      resource: { type: 'firestore-index' as const, name: index!.name },
      desired: {
        collectionGroup: index!.collectionGroup,
        queryScope: index!.queryScope,
        fields: index!.fields,
      },
    };
    expect(await provision(step)).toBe('created');
    expect(await provision(step)).toBe('unchanged');
    expect(created).toEqual([
      {
        parent: 'projects/p/databases/(default)/collectionGroups/deliveries',
        index: { queryScope: 'COLLECTION_GROUP', fields: index!.fields },
      },
    ]);
  });

  it('come from firestore.indexes.json, named by their fields', () => {
    expect(firestoreCompositeIndexes().map((i) => i.name)).toEqual([
      'deliveries(endpointId asc, failedAt asc) across subcollections',
      'deliveries(endpointId asc, failedAt desc) across subcollections',
      'deliveries(endpointId asc, createdHour desc) across subcollections',
      'events(status asc, failedAt desc)',
      'events(eventType asc, status asc, failedAt desc)',
      'shares(expireAt asc, demand asc)',
    ]);
  });
});
