/** The warehouse tables the loader writes and the metrics read. */
import type { TableSpec } from './types.ts';

/** The events table: one row per processed event (a redelivery may add a copy; queries count distinct event ids). */
export const eventsTable: TableSpec = {
  dataset: 'tributary',
  name: 'events',
  description: 'Processed events, one row per event (count DISTINCT event_id).',
  columns: [
    { name: 'event_id', type: 'STRING', mode: 'REQUIRED', description: 'Event id (UUID).' },
    {
      name: 'event_type',
      type: 'STRING',
      mode: 'REQUIRED',
      description: 'Dotted type, like page.viewed.',
    },
    {
      name: 'source',
      type: 'STRING',
      mode: 'REQUIRED',
      description: 'How the event arrived: api, csv, workspace.',
    },
    {
      name: 'producer',
      type: 'STRING',
      mode: 'REQUIRED',
      description: 'Who sent it: API key id or source id.',
    },
    {
      name: 'site_id',
      type: 'STRING',
      mode: 'NULLABLE',
      description: 'Site, for analytics events.',
    },
    {
      name: 'user_id',
      type: 'STRING',
      mode: 'NULLABLE',
      description: 'User, for analytics events.',
    },
    {
      name: 'path',
      type: 'STRING',
      mode: 'NULLABLE',
      description: 'Page path, for analytics events.',
    },
    {
      name: 'occurred_at',
      type: 'TIMESTAMP',
      mode: 'REQUIRED',
      description: 'When the event happened (partitioning column).',
    },
    {
      name: 'received_at',
      type: 'TIMESTAMP',
      mode: 'REQUIRED',
      description: 'When Tributary accepted it.',
    },
    {
      name: 'processed_at',
      type: 'TIMESTAMP',
      mode: 'REQUIRED',
      description: 'When it was processed.',
    },
    { name: 'payload', type: 'JSON', mode: 'NULLABLE', description: 'The event payload.' },
    { name: 'metadata', type: 'JSON', mode: 'NULLABLE', description: 'Producer metadata.' },
  ],
  partition: { field: 'occurred_at', type: 'DAY' },
  clustering: ['event_type', 'site_id'],
};

export const warehouseTables: readonly TableSpec[] = [eventsTable];
