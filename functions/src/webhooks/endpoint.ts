import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { defaults } from '../lib/defaults.ts';
import { isValidEventTypeFilter } from './matchesEventType.ts';

/** A signing secret as stored: sealed with the encryption key, never in clear. */
export type StoredSecret = { ciphertext: string; createdAt: Date; expiresAt: Date | null };

export type EndpointError = { code: string; message: string; at: Date };

/** A receiver of webhooks and what we know of how it is doing. */
export type WebhookEndpoint = {
  id: string;
  url: string;
  description: string | null;
  /** Exact event types and prefixes (`workspace.*`). */
  eventTypes: string[];
  /** When set, only events of these producers (a Workspace source forwards its own events). */
  producers?: string[];
  /** The Workspace source that created and maintains this endpoint. */
  sourceId?: string;
  enabled: boolean;
  disabledReason: 'manual' | 'endpoint_gone' | 'consecutive_failures' | null;
  disabledAt: Date | null;
  /** Newest first; during a rotation the previous one keeps signing until it expires. */
  secrets: StoredSecret[];
  /**
   * Failed attempts since the last success, across deliveries. The document holds the
   * part folded into it; the instances' shards hold the rest (`endpointHealth.ts`).
   */
  consecutiveFailures: number;
  failedAttempts: number;
  lastFailureAt: Date | null;
  lastFailure: EndpointError | null;
  /** When a success last ended a run of failures. */
  recoveredAt: Date | null;
  /**
   * From when the document's `consecutiveFailures` count: enabling the endpoint again
   * moves it to that moment, which ends every earlier run.
   */
  runStartedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
};

/** What an operator chooses for an endpoint; the rest is the state it starts with. */
export type EndpointSettings = Pick<
  WebhookEndpoint,
  'id' | 'url' | 'description' | 'eventTypes' | 'enabled' | 'secrets'
> &
  Pick<WebhookEndpoint, 'producers' | 'sourceId'>;

/** An endpoint as created: no failures yet; disabled by hand if created disabled. */
export function newEndpoint(settings: EndpointSettings, now: Date): WebhookEndpoint {
  return {
    ...settings,
    eventTypes: [...new Set(settings.eventTypes)],
    disabledReason: settings.enabled ? null : 'manual',
    disabledAt: settings.enabled ? null : now,
    consecutiveFailures: 0,
    failedAttempts: 0,
    lastFailureAt: null,
    lastFailure: null,
    recoveredAt: null,
    runStartedAt: null,
    createdAt: now,
    updatedAt: now,
  };
}

/** What the fan-out needs of an endpoint. */
export type EndpointRoute = { id: string; eventTypes: string[]; producers?: string[] };

const idPattern = /^ep_[A-Za-z0-9_-]{22}$/;

export function newEndpointId(): string {
  return `ep_${randomBytes(16).toString('base64url')}`;
}

export function isEndpointId(value: string): boolean {
  return idPattern.test(value);
}

/** The secrets that sign at `now`: the current one and any not yet expired. */
export function activeSecrets(endpoint: WebhookEndpoint, now: Date): StoredSecret[] {
  return endpoint.secrets.filter((secret) => !secret.expiresAt || secret.expiresAt > now);
}

const eventTypesField = z
  .array(
    z
      .string()
      .max(100)
      .refine(
        isValidEventTypeFilter,
        'must be an event type (page.viewed), a prefix (workspace.*) or *',
      ),
  )
  .min(1, 'name at least one event type')
  .max(50);

export const createEndpointSchema = z.strictObject({
  url: z.string(),
  eventTypes: eventTypesField,
  description: z.string().max(500).optional(),
  enabled: z.boolean().optional(),
});

export type CreateEndpointInput = z.infer<typeof createEndpointSchema>;

export const updateEndpointSchema = z
  .strictObject({
    url: z.string().optional(),
    eventTypes: eventTypesField.optional(),
    description: z.string().max(500).nullable().optional(),
    enabled: z.boolean().optional(),
  })
  .refine((value) => Object.keys(value).length > 0, 'name at least one field to change');

export type UpdateEndpointInput = z.infer<typeof updateEndpointSchema>;

export const rotateSecretSchema = z.strictObject({
  /** How long the previous secret keeps signing alongside the new one. */
  graceSeconds: z.number().int().min(0).max(defaults.webhookSecretMaxGraceSeconds).optional(),
});

export const replayWindowSchema = z
  .strictObject({
    from: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' }),
    to: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' }),
  })
  .refine((value) => !(new Date(value.from) >= new Date(value.to)), {
    message: 'must be after from',
    path: ['to'],
  });

/**
 * The endpoint after an operator's update. Enabling again starts a fresh failure run:
 * failures recorded before `runStartedAt` no longer count, whichever instance recorded them.
 */
export function applyUpdate(
  current: WebhookEndpoint,
  input: UpdateEndpointInput,
  now: Date,
): WebhookEndpoint {
  const next: WebhookEndpoint = {
    ...current,
    url: input.url ?? current.url,
    eventTypes: input.eventTypes ?? current.eventTypes,
    description: input.description === undefined ? current.description : input.description,
    updatedAt: now,
  };
  if (input.enabled === true && !current.enabled) {
    return {
      ...next,
      enabled: true,
      disabledReason: null,
      disabledAt: null,
      consecutiveFailures: 0,
      runStartedAt: now,
    };
  }
  if (input.enabled === false && current.enabled) {
    return { ...next, enabled: false, disabledReason: 'manual', disabledAt: now };
  }
  return next;
}

/** A new secret becomes current; the previous current one expires after the grace period. */
export function rotateSecrets(
  current: readonly StoredSecret[],
  fresh: StoredSecret,
  graceSeconds: number,
  now: Date,
): StoredSecret[] {
  const expiresAt = new Date(now.getTime() + graceSeconds * 1000);
  const kept = current
    .filter((secret) => !secret.expiresAt || secret.expiresAt > now)
    .map((secret) => ({
      ...secret,
      expiresAt: secret.expiresAt && secret.expiresAt < expiresAt ? secret.expiresAt : expiresAt,
    }))
    .filter((secret) => secret.expiresAt > now);
  return [fresh, ...kept];
}

/** An endpoint as operators see it: never its secrets. */
export function presentEndpoint(endpoint: WebhookEndpoint): Record<string, unknown> {
  return {
    id: endpoint.id,
    url: endpoint.url,
    description: endpoint.description,
    eventTypes: endpoint.eventTypes,
    ...(endpoint.producers ? { producers: endpoint.producers } : {}),
    ...(endpoint.sourceId ? { sourceId: endpoint.sourceId } : {}),
    enabled: endpoint.enabled,
    disabledReason: endpoint.disabledReason,
    disabledAt: iso(endpoint.disabledAt),
    secretRotation:
      endpoint.secrets.slice(1).map((secret) => ({
        previousSecretExpiresAt: iso(secret.expiresAt),
      }))[0] ?? null,
    stats: {
      consecutiveFailures: endpoint.consecutiveFailures,
      failedAttempts: endpoint.failedAttempts,
      lastFailureAt: iso(endpoint.lastFailureAt),
      lastFailure: endpoint.lastFailure
        ? { ...endpoint.lastFailure, at: iso(endpoint.lastFailure.at) }
        : null,
      recoveredAt: iso(endpoint.recoveredAt),
    },
    createdAt: iso(endpoint.createdAt),
    updatedAt: iso(endpoint.updatedAt),
  };
}

export function iso(date: Date | null): string | null {
  return date?.toISOString() ?? null;
}
