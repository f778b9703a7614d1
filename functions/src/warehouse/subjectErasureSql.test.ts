import { describe, expect, it } from 'vitest';
import { eventsTable } from '../../../infra/spec.ts';
import { bigQueryEraseSql, bigQueryPartitionsSql, duckDbEraseSql } from './subjectErasureSql.ts';

describe('subject erasure SQL', () => {
  it('matches user_id and the payload anonymousId with one placeholder per id in DuckDB', () => {
    const sql = duckDbEraseSql(eventsTable, 2);
    expect(sql).toContain('user_id IN ($1, $2)');
    expect(sql).toContain("json_extract_string(payload, '$.anonymousId') IN ($1, $2)");
    expect(sql).toContain('RETURNING event_id');
  });

  it('bounds the BigQuery DELETE to the partitions found first', () => {
    expect(bigQueryPartitionsSql(eventsTable, 'p')).toMatch(/SELECT DISTINCT DATE\(occurred_at\)/);
    const sql = bigQueryEraseSql(eventsTable, 'p');
    expect(sql).toMatch(/^DELETE FROM `p\.\w+\.events`/);
    expect(sql).toContain('DATE(occurred_at) IN UNNEST(@days)');
    expect(sql).toContain('user_id IN UNNEST(@ids)');
  });
});
