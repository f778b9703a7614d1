import type { TableSpec } from '../../../infra/spec.ts';

/**
 * The SQL that erases a subject's rows: a row is the subject's when its `user_id` is
 * one of the ids, or its payload's `anonymousId` is (the tracking API's events).
 * BigQuery's DELETE is bounded to the days (partitions) a first query found holding
 * the subject, so it rewrites only those partitions.
 */

export function duckDbEraseSql(table: TableSpec, idCount: number): string {
  const list = Array.from({ length: idCount }, (_, index) => `$${index + 1}`).join(', ');
  return `DELETE FROM "${table.dataset}"."${table.name}"
    WHERE user_id IN (${list}) OR json_extract_string(payload, '$.anonymousId') IN (${list})
    RETURNING event_id`;
}

const bigQueryMatch =
  "(user_id IN UNNEST(@ids) OR JSON_VALUE(payload, '$.anonymousId') IN UNNEST(@ids))";

export function bigQueryPartitionsSql(table: TableSpec, projectId: string): string {
  return `SELECT DISTINCT DATE(${table.partition.field}) AS day
    FROM \`${projectId}.${table.dataset}.${table.name}\`
    WHERE ${bigQueryMatch}`;
}

export function bigQueryEraseSql(table: TableSpec, projectId: string): string {
  return `DELETE FROM \`${projectId}.${table.dataset}.${table.name}\`
    WHERE DATE(${table.partition.field}) IN UNNEST(@days) AND ${bigQueryMatch}`;
}
