/**
 * Every tunable of the runtime in one place. Each value here is the default that
 * `loadConfig` uses when its environment variable is absent.
 */
export const defaults = {
  /** Local project id used with the emulators when none is configured. */
  projectId: 'tributary-local',
  logLevel: 'info',

  /** Largest accepted event, as serialized JSON. Below Firestore's 1 MiB document
   * limit, so a failed event can be kept whole for replay. */
  maxEventBytes: 1_000_000,
  /** Largest batch request body and item count. */
  maxBatchBytes: 5_000_000,
  maxBatchEvents: 500,

  /** A call that brings many events publishes them as messages of at most this many
   * events and bytes (Pub/Sub takes 10 MB; a push body is the data in base64, a third
   * more). One message is one push and one processEvent invocation, whose status
   * writes go out together: 500, the most events a batch call takes, keeps such a call
   * one message. */
  messageMaxEvents: 500,
  messageMaxBytes: 4_000_000,

  /** API keys are looked up in Firestore at most once per key per this window. */
  apiKeyCacheSeconds: 60,
  /** Unknown keys are remembered for a shorter time, so a new key works quickly. */
  apiKeyNegativeCacheSeconds: 5,

  /** Per-key token bucket: sustained requests per second and burst size, across every
   * instance of ingest (see the rate-limit shares below); a key's own limit, when set, wins. */
  rateLimitPerSecond: 200,
  rateLimitBurst: 400,
  /** A browser key's bucket per client address (IPv6 per /64), beside the key's own:
   * one visitor's page sends a few calls a second at most. */
  browserRateLimitPerSecond: 20,
  browserRateLimitBurst: 60,
  /** Client-address buckets kept per instance; the least recently used go first. */
  browserRateLimitAddresses: 100_000,
  /** Limits hold across instances: a key or address busy on an instance is shared there,
   * and the instance reports its demand and takes its share this often. */
  rateLimitSyncMs: 1000,
  /** A share holds this long without a sync; then the instance limits alone (fails open). */
  rateLimitShareLeaseMs: 3000,
  /** How often an instance says it is alive, so each knows how many share the limits. */
  rateLimitAnnounceMs: 10_000,
  /** The window over which a key's or address's count on one instance decides sharing. */
  rateLimitWindowMs: 10_000,
  /** What keys and addresses not (yet) shared may add to a limit, in total: 10%. */
  rateLimitUnsharedFraction: 0.1,
  /** A share's store call that takes longer counts as failed. */
  rateLimitStoreTimeoutMs: 2000,

  /** How long an idempotency key is remembered. */
  idempotencyTtlHours: 24,
  /** Event status documents expire (Firestore TTL policy on `expireAt`). */
  eventTtlDays: 30,

  /** A publish not acknowledged by Pub/Sub within this time is answered with 503. */
  publishTimeoutMs: 10_000,
  /** Seconds a producer is told to wait after a 503. */
  retryAfterSeconds: 5,
  /** Group commit: events that reach an instance while its publish to `events` is in
   * flight wait for it and go out together as the next message; none waits longer than
   * this for a slow publish before its message goes anyway. With nothing in flight an
   * event is published at once. */
  groupCommitMaxWaitMs: 20,
  /** A publisher given a batch window (none of ours: the group commit groups events
   * into messages itself) sends at most this many messages per publish call. */
  publishBatchMaxMessages: 500,

  /** Id of the encryption key when ENCRYPTION_KEY_ID is not set. */
  encryptionKeyId: 'k1',

  /** A webhook receiver that has not answered within this time counts as a timeout (retried). */
  webhookTimeoutMs: 10_000,
  /** Failed attempts in a row (across all its deliveries) after which an endpoint is
   * disabled. Any 2xx resets the run. With 20 attempts per delivery, about five
   * deliveries failing every attempt. */
  webhookDisableAfterFailures: 100,
  /** Each instance writes an endpoint's health to its own shard at most this often:
   * Firestore sustains about one write a second to a document. */
  webhookHealthWriteIntervalMs: 1000,
  /** Another instance's health shard not written for this long is folded into the
   * endpoint's document at the next write, so an endpoint keeps few shards. */
  webhookHealthFoldAfterMs: 10 * 60_000,
  /** How long `processEvent` reuses its list of webhook endpoints before reading it
   * again: a new or changed endpoint takes effect within this time. */
  webhookEndpointCacheSeconds: 10,
  /** How long an instance enforces the tracking plan it holds before reading it again:
   * a publish or a change of enforcement reaches every instance within this time. */
  trackingPlanCacheSeconds: 30,
  /** How long an instance holds the suppression list and erasure tombstones before reading
   * them again. A regulation's worker waits this long (and a margin) before it sweeps, so no
   * instance still lets the subject's events through when the sweep starts. */
  privacyListCacheSeconds: 20,
  /** The staleness the suppression list promises: the cache's age at most half of it. */
  privacyListMaxStalenessSeconds: 60,
  /** What the worker waits beyond the cache's age before sweeping: a refresh under way, clocks. */
  privacySweepMarginMs: 5_000,
  /** Tombstones outlive any message: Pub/Sub keeps one 7 days, a webhook retry ends within a day. */
  erasureTombstoneDays: 8,
  /** Subjects of one regulation (Segment's limit). */
  maxRegulationSubjects: 5_000,
  /** How long an event id erased by a regulation answers 410 rather than 404. */
  erasedEventTtlDays: 30,
  /** How long an instance holds violation counts no delivery has written yet. */
  violationCountFlushMs: 1_000,
  /** Quarantined events one step of a quarantine replay takes from its page. */
  quarantineReplayPageSize: 200,
  /** How long a quarantine replay's progress record is kept. */
  quarantineReplayTtlDays: 30,
  /** After a secret rotation the old secret keeps signing (alongside the new one) this long,
   * unless the rotation asks for another window. */
  webhookSecretGraceSeconds: 24 * 3600,
  /** Longest rotation window an operator may ask for. */
  webhookSecretMaxGraceSeconds: 7 * 24 * 3600,
  /** Bytes of a receiver's answer kept in the delivery log. */
  webhookResponseExcerptBytes: 512,
  /** Attempts kept per delivery in its log (the count keeps going). */
  webhookMaxLoggedAttempts: 50,
  /** Deliveries one replay request may resend. */
  webhookMaxReplayDeliveries: 1000,
  /** An endpoint's recent deliveries read at most for one listing (they are sorted by time). */
  webhookMaxRecentRead: 200,
  /** Endpoints one deployment may have. */
  webhookMaxEndpoints: 100,
  /** The local warehouse file (DuckDB), relative to the working directory. */
  warehouseDuckDbPath: '.tributary/warehouse.duckdb',
  /** How long a DuckDB open waits for another process to release the file. */
  warehouseLockTimeoutMs: 15_000,
  /** Loader: rows written per warehouse call, the most rows one run takes, and the
   * run's time budget (well under the one-minute schedule and the function timeout). */
  warehouseBatchRows: 1000,
  warehouseMaxRowsPerRun: 20_000,
  warehouseRunSeconds: 45,
  /** Loader: parallel pulls while a batch is assembled, and how long assembling may
   * take before the rows gathered so far are written. */
  warehousePullConcurrency: 4,
  warehouseBatchWaitMs: 2000,
  /** Pub/Sub returns at most this many messages per pull. */
  pullMaxMessages: 1000,
  /** A pull of an empty subscription may be held open; after this long it counts as empty. */
  warehousePullTimeoutMs: 5000,
  /** A live (not yet recomputed) metrics answer is reused this long, so a burst of
   * requests costs one warehouse query. */
  metricsCacheSeconds: 30,
  /** The nightly recomputation covers this many closed days, so events arriving up
   * to this late are counted in the daily documents. */
  metricsRecomputeDays: 7,
  /** Paths listed in site statistics. */
  statsTopPaths: 10,
  /** Sites `GET /v1/sites` lists at most (most viewed first). */
  sitesListMax: 1000,

  /** CSV uploads: largest file (Cloud Functions takes at most 32 MiB per request) and rows. */
  uploadMaxBytes: 33_554_432,
  uploadMaxRows: 200_000,
  /** Messages' worth of an upload's rows in flight at once; reading waits beyond it. */
  uploadPublishConcurrency: 2,
  /** The answer lists this many row errors at most; the counts are always complete. */
  uploadMaxReportedErrors: 100,
  /** Consecutive rows Pub/Sub refused before an upload stops with 503. */
  uploadAbortAfterUnavailable: 50,
  /** The batch record is updated every this many rows, at most once in this many ms. */
  uploadProgressEveryRows: 10_000,
  uploadProgressMinIntervalMs: 1000,
  /** Uploads per minute per API key and per client address (token buckets, per instance). */
  uploadsPerMinutePerKey: 6,
  uploadsPerMinutePerIp: 12,
  /** Upload records and bulk replay records expire (Firestore TTL on `expireAt`). */
  uploadBatchTtlDays: 30,
  replayJobTtlDays: 30,

  /** A QUEUED event older than this has lost its republish and may be replayed again. */
  staleQueuedMs: 600_000,
  /** Bulk replay: events per page, replays in flight, and the time one request works
   * before it answers with the progress (resume continues from the saved cursor). */
  replayPageSize: 100,
  replayConcurrency: 16,
  replayBudgetMs: 50_000,
  /** A bulk replay's record is written at most once in this many ms, and when it ends. */
  replayJobSaveIntervalMs: 1000,

  /** Metrics summary: hours of throughput, latency sample size, distinct types counted. */
  metricsHours: 24,
  latencySampleSize: 500,
  maxEventTypes: 50,

  /** Google Workspace: the Reports API and the OAuth token endpoint (tests and the local
   * stack point them at a local server). */
  workspaceApiRootUrl: 'https://admin.googleapis.com/',
  workspaceTokenUrl: 'https://oauth2.googleapis.com/token',
  /** Seconds between two polls of a source, when it does not say, and the most it may set. */
  workspaceFetchIntervalSeconds: 300,
  workspaceMaxFetchIntervalSeconds: 86_400,
  /** The poll schedule ticks once a minute (the finest Cloud Scheduler runs). */
  workspacePollTickSeconds: 60,
  /** Each window starts this long before the cursor, so an activity recorded late, just
   * behind the cursor, is still fetched (and deduplicated if it was seen). */
  workspaceOverlapSeconds: 900,
  /** A window is at most this long, so a long pause is caught up in steps. */
  workspaceMaxWindowSeconds: 6 * 3600,
  /** The Reports API's largest page. */
  workspacePageSize: 1000,
  /** One fetch works this long, then hands the rest of its window to a continuation. */
  workspaceFetchBudgetMs: 120_000,
  /** Backoff of a source after quota or server errors: doubles from the first value. */
  workspaceBackoffBaseSeconds: 60,
  workspaceBackoffMaxSeconds: 3600,
  /** The Reports API keeps activities about six months: nothing older is asked for. */
  workspaceRetentionDays: 180,
  /** A new source without `startTime` starts this far back, so the past day shows at once
   * (Elastic's Workspace integration does the same), whatever the applications' lag. */
  workspaceDefaultLookbackHours: 24,
  /** How long an activity is remembered as published: far longer than any overlap. */
  workspaceSeenTtlDays: 7,
  /** Applications polled when a source names none. */
  workspaceDefaultApplications: [
    'admin',
    'login',
    'token',
    'saml',
    'drive',
    'groups',
    'user_accounts',
  ],
  /**
   * How long after it happens an activity appears in the Reports API, per application:
   * Google's "Data retention and lag times" table (support.google.com/a/answer/7061566).
   * A window ends this long before now, so a window is complete when it is fetched; a
   * source may set its own value per application.
   */
  workspaceLagSeconds: {
    access_transparency: 300,
    admin: 300,
    calendar: 2 * 3600,
    chat: 300,
    chrome: 300,
    context_aware_access: 300,
    data_studio: 3600,
    drive: 4 * 3600,
    gcp: 300,
    groups: 2 * 3600,
    groups_enterprise: 2 * 3600,
    jamboard: 3600,
    keep: 3600,
    login: 900,
    meet: 900,
    mobile: 3600,
    rules: 3600,
    saml: 600,
    token: 600,
    user_accounts: 600,
    vault: 3600,
  },

  /** Each readiness check must answer within this time. */
  readinessTimeoutMs: 3000,
  /** On SIGTERM a served function finishes requests in flight for at most this long. */
  shutdownGraceMs: 8000,
} as const;
