import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { defaults } from '../lib/defaults.ts';
import { credentialsSchema, type WorkspaceCredentials } from './credentialsInput.ts';

/** Applications of the Reports API `activities.list` that a source may poll. */
export const workspaceApplications = [
  'access_transparency',
  'admin',
  'calendar',
  'chat',
  'chrome',
  'context_aware_access',
  'data_studio',
  'drive',
  'gcp',
  'groups',
  'groups_enterprise',
  'jamboard',
  'keep',
  'login',
  'meet',
  'mobile',
  'rules',
  'saml',
  'token',
  'user_accounts',
  'vault',
] as const satisfies readonly (keyof typeof defaults.workspaceLagSeconds)[];

export type WorkspaceApplication = (typeof workspaceApplications)[number];

export type SourceStatus = 'active' | 'backing_off' | 'credentials_invalid' | 'paused';

export type { WorkspaceCredentials } from './credentialsInput.ts';

export type SourceError = { code: string; message: string; at: Date };

/** A window that could not be completed: its fetch was exhausted. */
export type SourceGap = { application: string; start: Date; end: Date; at: Date; reason: string };

/** A Google Workspace tenant whose audit logs Tributary polls. */
export type WorkspaceSource = {
  id: string;
  sourceType: 'google_workspace';
  name: string | null;
  applications: WorkspaceApplication[];
  /** Per-application lag overrides, in seconds. */
  lagSeconds: Partial<Record<WorkspaceApplication, number>>;
  logFetchIntervalSeconds: number;
  callbackUrl: string | null;
  /** The webhook endpoint that forwards this source's events to `callbackUrl`. */
  webhookEndpointId: string | null;
  credentialsType: WorkspaceCredentials['type'];
  /** The credentials, sealed with the encryption key (never in clear). */
  credentialsCiphertext: string;
  status: SourceStatus;
  statusReason: string | null;
  /** When the next tick may poll it: the interval after a poll, later when backing off. */
  nextPollAt: Date;
  lastPolledAt: Date | null;
  lastSuccessAt: Date | null;
  lastError: SourceError | null;
  consecutiveFailures: number;
  eventsFetched: number;
  gaps: SourceGap[];
  /** Activities older than this are not fetched. */
  startAt: Date;
  createdAt: Date;
  updatedAt: Date;
};

/** What the operator chooses for a source; the rest is the polling state it starts with. */
export type SourceSettings = Pick<
  WorkspaceSource,
  | 'id'
  | 'name'
  | 'applications'
  | 'lagSeconds'
  | 'logFetchIntervalSeconds'
  | 'callbackUrl'
  | 'credentialsType'
  | 'credentialsCiphertext'
  | 'startAt'
>;

/** A source as created: active, due at once, nothing fetched yet. */
export function newSource(settings: SourceSettings, now: Date): WorkspaceSource {
  return {
    ...settings,
    sourceType: 'google_workspace',
    webhookEndpointId: null,
    status: 'active',
    statusReason: null,
    nextPollAt: now,
    lastPolledAt: null,
    lastSuccessAt: null,
    lastError: null,
    consecutiveFailures: 0,
    eventsFetched: 0,
    gaps: [],
    createdAt: now,
    updatedAt: now,
  };
}

const idPattern = /^src_[A-Za-z0-9_-]{22}$/;

export function newSourceId(): string {
  return `src_${randomBytes(16).toString('base64url')}`;
}

export function isSourceId(value: string): boolean {
  return idPattern.test(value);
}

const applicationsField = z
  .array(z.enum(workspaceApplications))
  .min(1, 'name at least one application')
  .max(workspaceApplications.length);

const lagField = z.partialRecord(
  z.enum(workspaceApplications),
  z
    .number()
    .int()
    .min(0)
    .max(48 * 3600),
);

/**
 * Seconds between polls, kept as sent. The poll tick comes once a minute, so an interval
 * under a minute is served by every tick (`effectiveFetchIntervalSeconds` says so).
 */
const intervalField = z.number().int().min(1).max(defaults.workspaceMaxFetchIntervalSeconds);

export const createSourceSchema = z.strictObject({
  sourceType: z.literal('google_workspace'),
  name: z.string().min(1).max(200).optional(),
  credentials: credentialsSchema,
  applications: applicationsField.optional(),
  lagSeconds: lagField.optional(),
  /** Seconds between polls. */
  logFetchInterval: intervalField.optional(),
  callbackUrl: z.string().max(2048).nullable().optional(),
  /** Fetch activities from this time on (at most 180 days back, the API's retention). */
  startTime: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' }).optional(),
});

export type CreateSourceInput = z.infer<typeof createSourceSchema>;

export const updateSourceSchema = z
  .strictObject({
    /** Accepted so that a full body, as sent to create, is also a full update. */
    sourceType: z.literal('google_workspace').optional(),
    name: z.string().min(1).max(200).nullable().optional(),
    credentials: credentialsSchema.optional(),
    applications: applicationsField.optional(),
    lagSeconds: lagField.optional(),
    logFetchInterval: intervalField.optional(),
    callbackUrl: z.string().max(2048).nullable().optional(),
    /** `paused` stops polling; `active` resumes it. */
    status: z.enum(['active', 'paused']).optional(),
  })
  .refine((value) => Object.keys(value).length > 0, 'name at least one field to change');

export type UpdateSourceInput = z.infer<typeof updateSourceSchema>;

/** A source as operators see it: never its credentials, only that they are set. */
export function presentSource(
  source: WorkspaceSource,
  cursors: readonly CursorView[] = [],
): Record<string, unknown> {
  return {
    id: source.id,
    sourceType: source.sourceType,
    name: source.name,
    applications: source.applications,
    lagSeconds: Object.fromEntries(
      source.applications.map((application) => [application, lagFor(source, application)]),
    ),
    logFetchInterval: source.logFetchIntervalSeconds,
    effectiveFetchIntervalSeconds: effectiveFetchInterval(source.logFetchIntervalSeconds),
    callbackUrl: source.callbackUrl,
    webhookEndpointId: source.webhookEndpointId,
    credentials: { type: source.credentialsType, set: source.credentialsCiphertext.length > 0 },
    status: source.status,
    statusReason: source.statusReason,
    nextPollAt: iso(source.nextPollAt),
    lastPolledAt: iso(source.lastPolledAt),
    lastSuccessAt: iso(source.lastSuccessAt),
    lastError: source.lastError ? { ...source.lastError, at: iso(source.lastError.at) } : null,
    eventsFetched: source.eventsFetched,
    gap: source.gaps.length > 0,
    gaps: source.gaps.map((gap) => ({
      application: gap.application,
      start: iso(gap.start),
      end: iso(gap.end),
      at: iso(gap.at),
      reason: gap.reason,
    })),
    cursors: Object.fromEntries(
      cursors.map((cursor) => [
        cursor.application,
        {
          cursor: iso(cursor.cursor),
          window: cursor.window
            ? { start: iso(cursor.window.start), end: iso(cursor.window.end) }
            : null,
          pagesInWindow: cursor.pagesInWindow,
          lastCompletedAt: iso(cursor.lastCompletedAt),
          eventsFetched: cursor.eventsFetched,
        },
      ]),
    ),
    startAt: iso(source.startAt),
    createdAt: iso(source.createdAt),
    updatedAt: iso(source.updatedAt),
  };
}

/** What operators see of an application's progress. */
export type CursorView = {
  application: string;
  cursor: Date;
  window: { start: Date; end: Date } | null;
  pagesInWindow: number;
  lastCompletedAt: Date | null;
  eventsFetched: number;
};

export function lagFor(source: Pick<WorkspaceSource, 'lagSeconds'>, application: string): number {
  return (
    source.lagSeconds[application as WorkspaceApplication] ??
    defaults.workspaceLagSeconds[application as WorkspaceApplication] ??
    defaults.workspaceOverlapSeconds
  );
}

/** How often a source is really polled: its interval rounded up to whole poll ticks. */
function effectiveFetchInterval(intervalSeconds: number): number {
  const tick = defaults.workspacePollTickSeconds;
  return Math.max(1, Math.ceil(intervalSeconds / tick)) * tick;
}

function iso(date: Date | null): string | null {
  return date?.toISOString() ?? null;
}

/** The AAD of a source's sealed credentials: a ciphertext copied to another source does not open. */
export function credentialsContext(sourceId: string): string {
  return `workspace_sources/${sourceId}/credentials`;
}
