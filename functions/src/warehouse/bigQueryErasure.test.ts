import type { BigQuery } from '@google-cloud/bigquery';
import { describe, expect, it } from 'vitest';
import { eventsTable } from '../../../infra/spec.ts';
import { eraseFromBigQuery } from './bigQueryErasure.ts';

/** Records the calls a BigQuery client would receive, answering like the real one. */
function recordingClient(days: string[], affected: string) {
  const calls: { kind: string; options: Record<string, unknown> }[] = [];
  const client = {
    query: async (options: Record<string, unknown>) => {
      calls.push({ kind: 'query', options });
      return [days.map((value) => ({ day: { value } }))];
    },
    createQueryJob: async (options: Record<string, unknown>) => {
      calls.push({ kind: 'job', options });
      return [
        {
          getQueryResults: async () => [[]],
          getMetadata: async () => [{ statistics: { query: { numDmlAffectedRows: affected } } }],
        },
      ];
    },
  };
  return { client: client as unknown as BigQuery, calls };
}

const target = { table: eventsTable, projectId: 'p', location: 'EU' };

describe('erasure in BigQuery', () => {
  it('deletes only in the partitions the first query found, and reports the rows DML removed', async () => {
    const { client, calls } = recordingClient(['2026-12-01', '2026-12-06'], '7');
    const erased = await eraseFromBigQuery(client, target, ['u-1', 'a-2']);
    expect(erased.removed).toBe(7);
    expect(erased.searched).toContain('2 partition(s)');
    expect(calls.map((call) => call.kind)).toEqual(['query', 'job']);
    expect(calls[1]!.options).toMatchObject({
      params: { ids: ['u-1', 'a-2'], days: ['2026-12-01', '2026-12-06'] },
      types: { days: ['DATE'] },
      location: 'EU',
    });
  });

  it('runs no DELETE when no partition holds the subjects', async () => {
    const { client, calls } = recordingClient([], '0');
    expect((await eraseFromBigQuery(client, target, ['u-1'])).removed).toBe(0);
    expect(calls.map((call) => call.kind)).toEqual(['query']);
  });
});
