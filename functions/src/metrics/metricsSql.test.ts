import { describe, expect, it } from 'vitest';
import { eventsTable } from '../../../infra/spec.ts';
import { bigQueryMetricsSql } from './bigQuerySql.ts';
import { duckDbMetricsSql } from './duckDbSql.ts';

/** A query with its dialect's spellings replaced by placeholders. */
const shape = (sql: string) =>
  sql
    .replaceAll(/[@$](\w+)/g, ':$1')
    .replace(
      /FORMAT_TIMESTAMP\('%F', occurred_at, 'UTC'\)|strftime\(occurred_at, '%Y-%m-%d'\)/g,
      'DAY',
    )
    .replace(/`tributary\.events`|"tributary"\."events"/g, 'EVENTS')
    .replace(/occurred_at >= [\s\S]*?DAY\)?(?=\n|\s+AND event_type|\s+GROUP)/g, 'RANGE');

describe('the metrics SQL of each dialect', () => {
  const bigQuery = bigQueryMetricsSql(eventsTable);
  const duckDb = duckDbMetricsSql(eventsTable);

  it('names BigQuery parameters with @, filters the partitioning column, and counts distinct ids', () => {
    const sql = bigQuery.siteStats({ oneSite: true });
    expect(sql).toContain('FROM `tributary.events`');
    expect(sql).toContain('occurred_at >= TIMESTAMP(@from)');
    expect(sql).toContain('TIMESTAMP_ADD(TIMESTAMP(@to), INTERVAL 1 DAY)');
    expect(sql).toContain('site_id = @siteId');
    expect(sql).toContain('<= @topPaths');
    expect(sql).not.toMatch(/\$[a-z]/);
    expect(bigQuery.dailyEventCounts).toContain(
      "FORMAT_TIMESTAMP('%F', occurred_at, 'UTC') AS day",
    );
  });

  it('names DuckDB parameters with $ and one site only when asked', () => {
    expect(duckDb.siteStats({ oneSite: false })).not.toContain('siteId');
    expect(duckDb.siteStats({ oneSite: true })).toContain('site_id = $siteId');
    expect(duckDb.dailyEventCounts).toContain('FROM "tributary"."events"');
    expect(duckDb.dailyEventCounts).not.toContain('@');
  });

  it('asks both warehouses the same question', () => {
    expect(shape(bigQuery.siteStats({ oneSite: true }))).toBe(
      shape(duckDb.siteStats({ oneSite: true })),
    );
    expect(shape(bigQuery.sitesSeen({ limit: 10 }))).toBe(shape(duckDb.sitesSeen({ limit: 10 })));
  });

  it('lists the sites of a range only, through the partitioning column', () => {
    const sql = bigQuery.sitesSeen({ limit: 1001 });
    expect(sql).toContain('occurred_at >= TIMESTAMP(@from)');
    expect(sql).toContain('site_id IS NOT NULL');
    expect(sql).toContain('COUNT(DISTINCT event_id)');
    expect(sql).toMatch(/LIMIT 1001$/);
  });
});
