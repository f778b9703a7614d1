/** Firestore collections, with the field their TTL policy reads. */
export const collections = {
  events: { name: 'events', ttlField: 'expireAt' },
  apiKeys: { name: 'api_keys' },
  idempotencyKeys: { name: 'idempotency_keys', ttlField: 'expireAt' },
  webhookEndpoints: { name: 'webhook_endpoints' },
  /** `webhook_endpoints/{endpointId}/health/{instanceId}`: one instance's part of an endpoint's health. */
  webhookHealth: { name: 'health', parent: 'webhook_endpoints' },
  /** `events/{eventId}/deliveries/{endpointId}`: one webhook delivery and its attempts. */
  deliveries: { name: 'deliveries', parent: 'events', ttlField: 'expireAt' },
  /** Processed events the warehouse refused for good, with the reason. */
  warehouseRejections: { name: 'warehouse_rejections', ttlField: 'expireAt' },
  /** One document per day: event counts by type, written by recomputeMetrics. */
  dailyMetrics: { name: 'daily_metrics' },
  /** One document per day and site: views, unique users, top paths. */
  dailySiteStats: { name: 'daily_site_stats' },
  /** Progress records of bulk replays. */
  replayJobs: { name: 'replay_jobs', ttlField: 'expireAt' },
  /** One record per CSV upload, with its counts and first errors. */
  uploadBatches: { name: 'upload_batches', ttlField: 'expireAt' },
  /** Google Workspace sources: sealed credentials, applications, status. */
  workspaceSources: { name: 'workspace_sources' },
  /** `workspace_sources/{sourceId}/cursors/{application}`: the window being fetched. */
  workspaceCursors: { name: 'cursors', parent: 'workspace_sources' },
  /** Activities already published, by source and unique qualifier (overlap dedupe). */
  workspaceSeen: { name: 'workspace_seen', ttlField: 'expireAt' },
  /** One document per instance of `ingest`, alive while it says so: how many share limits. */
  rateLimitInstances: { name: 'rate_limit_instances', ttlField: 'expireAt' },
  /** `rate_limit_subjects/{subject}`: a parent only, named by a keyed hash of a key or address. */
  rateLimitSubjects: { name: 'rate_limit_subjects' },
  /** `rate_limit_subjects/{subject}/shares/{instance}`: one instance's demand for a busy subject. */
  rateLimitShares: { name: 'shares', parent: 'rate_limit_subjects', ttlField: 'expireAt' },
  /** `visitor_salts/{day}`: a day's secret salt of cookieless visitor ids; deleted after 48 h. */
  visitorSalts: { name: 'visitor_salts', ttlField: 'expireAt' },
  /** `tracking_plan/current`: the enforced plan (settings and every type's current version). */
  trackingPlan: { name: 'tracking_plan' },
  /** `tracking_plan_types/{eventType}`: a type's draft and its latest version number. */
  trackingPlanTypes: { name: 'tracking_plan_types' },
  /** `tracking_plan_types/{eventType}/versions/{n}`: published versions, never changed. */
  trackingPlanVersions: { name: 'versions', parent: 'tracking_plan_types' },
  /** `tracking_violation_counts/{day}_{shard}`: events that broke the plan, by type. */
  trackingViolationCounts: { name: 'tracking_violation_counts' },
  /** Progress records of quarantine replays. */
  quarantineReplays: { name: 'quarantine_replays', ttlField: 'expireAt' },
  /** `privacy_list/head`: the number of the newest change to the suppression list. */
  privacyList: { name: 'privacy_list' },
  /** `privacy_list_changes/{seq}`: suppressions, their lifting, erasure tombstones (keyed hashes). */
  privacyListChanges: { name: 'privacy_list_changes', ttlField: 'expireAt' },
  /** `regulations/{id}`: a regulation's status and a receipt per store. */
  regulations: { name: 'regulations' },
  /** `regulations/{id}/subjects/{n}`: the subjects, kept only while the regulation runs. */
  regulationSubjects: { name: 'subjects', parent: 'regulations' },
  /** `erased_events/{eventId}`: events erased by a regulation, so a replay answers 410. */
  erasedEvents: { name: 'erased_events', ttlField: 'expireAt' },
  /** `suppressed_counts/{day}_{shard}`: events of suppressed subjects dropped, a number per day. */
  suppressedCounts: { name: 'suppressed_counts' },
} as const;
