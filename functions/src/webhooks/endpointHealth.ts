import type { EndpointError, WebhookEndpoint } from './endpoint.ts';

/**
 * One instance's part of an endpoint's health, `webhook_endpoints/{id}/health/{instanceId}`.
 * Only that instance writes it, at most once a second, so an endpoint failing a thousand
 * times a second costs each document at most one write a second.
 */
export type HealthShard = {
  instanceId: string;
  /** Failures this instance recorded since `runStartedAt`: its part of the current run. */
  runFailures: number;
  /** From when `runFailures` count; null: since the instance began recording. */
  runStartedAt: Date | null;
  /** Every failure this instance recorded. */
  failedAttempts: number;
  lastFailure: EndpointError | null;
  /** The latest success this instance recorded that ended a run of failures. */
  lastSuccessAt: Date | null;
  updatedAt: Date;
};

/** The health figures operators see. */
export type HealthFigures = Pick<
  WebhookEndpoint,
  'consecutiveFailures' | 'failedAttempts' | 'lastFailureAt' | 'lastFailure' | 'recoveredAt'
>;

/** What the endpoint document itself holds of its health: what was folded into it. */
export type HealthBase = HealthFigures & Pick<WebhookEndpoint, 'runStartedAt'>;

type RunPart = { runFailures: number; runStartedAt: Date | null };

/**
 * When the current run of failures began: the latest success that ended a run (any
 * instance's) or the latest reset of the document (enabling the endpoint again).
 */
export function runStart(
  base: HealthBase,
  shards: readonly Pick<HealthShard, 'lastSuccessAt'>[],
): Date | null {
  return latest([base.runStartedAt, base.recoveredAt, ...shards.map((s) => s.lastSuccessAt)]);
}

/**
 * A part's failures in the run that began at `start`. A part whose own run began before
 * `start` counts none of it until its instance moves its run up at its next write (at
 * most a second later while it keeps failing): a run is counted to within a second, and
 * only ever short, so an endpoint is never disabled early.
 */
export function runPart(part: RunPart, start: Date | null): number {
  if (start === null) return part.runFailures;
  return part.runStartedAt !== null && part.runStartedAt >= start ? part.runFailures : 0;
}

/** The document's health and its shards' combined: the figures the API and console show. */
export function combineHealth(base: HealthBase, shards: readonly HealthShard[]): HealthFigures {
  const start = runStart(base, shards);
  const lastFailure = latestFailure([base.lastFailure, ...shards.map((s) => s.lastFailure)]);
  return {
    consecutiveFailures:
      runPart(baseRun(base), start) + sum(shards.map((shard) => runPart(shard, start))),
    failedAttempts: base.failedAttempts + sum(shards.map((s) => s.failedAttempts)),
    lastFailure,
    lastFailureAt: lastFailure?.at ?? base.lastFailureAt,
    recoveredAt: latest([base.recoveredAt, ...shards.map((s) => s.lastSuccessAt)]),
  };
}

/** The endpoint as operators see it: its document with its shards' figures combined. */
export function withHealth(
  endpoint: WebhookEndpoint,
  shards: readonly HealthShard[],
): WebhookEndpoint {
  return { ...endpoint, ...combineHealth(endpoint, shards) };
}

/**
 * The document's health once the shards named in `fold` are folded into it (and deleted):
 * the combined figures stay the same, and the run keeps its start.
 */
export function foldShards(
  base: HealthBase,
  shards: readonly HealthShard[],
  fold: ReadonlySet<string>,
): HealthBase {
  const start = runStart(base, shards);
  const folded = shards.filter((shard) => fold.has(shard.instanceId));
  const lastFailure = latestFailure([base.lastFailure, ...folded.map((s) => s.lastFailure)]);
  return {
    consecutiveFailures:
      runPart(baseRun(base), start) + sum(folded.map((shard) => runPart(shard, start))),
    failedAttempts: base.failedAttempts + sum(folded.map((s) => s.failedAttempts)),
    lastFailure,
    lastFailureAt: lastFailure?.at ?? base.lastFailureAt,
    recoveredAt: latest([base.recoveredAt, ...folded.map((s) => s.lastSuccessAt)]),
    runStartedAt: start,
  };
}

function baseRun(base: HealthBase): RunPart {
  return { runFailures: base.consecutiveFailures, runStartedAt: base.runStartedAt };
}

function latest(dates: readonly (Date | null)[]): Date | null {
  let found: Date | null = null;
  for (const date of dates) if (date && (!found || date > found)) found = date;
  return found;
}

function latestFailure(errors: readonly (EndpointError | null)[]): EndpointError | null {
  let found: EndpointError | null = null;
  for (const error of errors) if (error && (!found || error.at > found.at)) found = error;
  return found;
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
