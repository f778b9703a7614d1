import type { BigQuery } from '@google-cloud/bigquery';
import type { TableSpec } from '../../../infra/spec.ts';
import { describe } from '../lib/errors.ts';
import { bigQueryEraseSql, bigQueryPartitionsSql } from './subjectErasureSql.ts';
import { WarehouseUnavailableError, type SubjectErasure } from './warehouse.ts';

/**
 * Finds the days holding the subjects, then deletes their rows in those partitions
 * only. DML may change rows the Storage Write API committed moments ago (unlike rows
 * still in the legacy streaming buffer), so a fresh row is erased too.
 */
export async function eraseFromBigQuery(
  bigquery: BigQuery,
  target: { table: TableSpec; projectId: string; location: string | undefined },
  ids: readonly string[],
): Promise<SubjectErasure> {
  const { table, projectId } = target;
  if (ids.length === 0) return { removed: 0, searched: 'no ids' };
  const location = target.location ? { location: target.location } : {};
  try {
    const [found] = await bigquery.query({
      query: bigQueryPartitionsSql(table, projectId),
      params: { ids: [...ids] },
      useLegacySql: false,
      ...location,
    });
    const days = (found as { day: { value: string } | string }[]).map((row) =>
      typeof row.day === 'string' ? row.day : row.day.value,
    );
    const searched = `${table.dataset}.${table.name}: ${days.length} partition(s) by user_id and payload anonymousId`;
    if (days.length === 0) return { removed: 0, searched };
    const [job] = await bigquery.createQueryJob({
      query: bigQueryEraseSql(table, projectId),
      params: { ids: [...ids], days },
      types: { days: ['DATE'] },
      useLegacySql: false,
      ...location,
    });
    await job.getQueryResults();
    const [metadata] = await job.getMetadata();
    const removed = Number(
      (metadata as { statistics?: { query?: { numDmlAffectedRows?: string } } }).statistics?.query
        ?.numDmlAffectedRows ?? 0,
    );
    return { removed, searched };
  } catch (error) {
    throw new WarehouseUnavailableError(`BigQuery erasure failed: ${describe(error)}`, error);
  }
}
