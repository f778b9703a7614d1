import type { DeliveryError } from './delivery.ts';
import type { EndpointError, WebhookEndpoint } from './endpoint.ts';
import type { HealthShard } from './endpointHealth.ts';
import type { DisabledReason, HealthVersion } from './endpointStore.ts';

/** Seconds of a run kept apart; older ones are merged (they count, to within their span). */
const maxRunSeconds = 120;

/**
 * One endpoint's health as one instance has recorded it, what of it is written to the
 * instance's shard, and the writes under way. `EndpointHealthRecorder` keeps one per endpoint.
 */
export class HealthTally {
  readonly id: string;
  /** The endpoint document as the latest delivery read it. */
  endpoint: WebhookEndpoint;
  failedAttempts = 0;
  lastFailure: EndpointError | null = null;
  lastSuccessAt: Date | null = null;
  runStartedAt: Date | null = null;
  /** This instance's failures of the current run, by second. */
  readonly run = new Map<number, number>();
  /** The run's failures elsewhere (other shards, the document), as of the last write. */
  othersRun = 0;
  /** Changes recorded, and how many of them the shard holds. */
  changes = 0;
  written = 0;
  /** When the shard was last written to (or a write failed), and last written. */
  lastWriteAt = Number.NEGATIVE_INFINITY;
  lastPutAt = Number.NEGATIVE_INFINITY;
  writtenFailedAttempts = 0;
  version: HealthVersion | undefined;
  disabled: { reason: DisabledReason; at: number } | null = null;
  writing: Promise<boolean> | null = null;
  pause: Promise<void> | null = null;
  disabling: Promise<void> | null = null;
  timer: NodeJS.Timeout | null = null;

  constructor(endpoint: WebhookEndpoint) {
    this.id = endpoint.id;
    this.endpoint = endpoint;
  }

  ownRun(): number {
    let total = 0;
    for (const count of this.run.values()) total += count;
    return total;
  }

  addFailure(error: DeliveryError, now: number): void {
    this.failedAttempts += 1;
    this.lastFailure = { ...error, at: new Date(now) };
    const second = Math.floor(now / 1000);
    this.run.set(second, (this.run.get(second) ?? 0) + 1);
    this.changes += 1;
    if (this.run.size <= maxRunSeconds) return;
    // Seconds are added in order: the first two are the oldest.
    const [oldest, next] = [...this.run.keys()].slice(0, 2) as [number, number];
    this.run.set(oldest, (this.run.get(oldest) ?? 0) + (this.run.get(next) ?? 0));
    this.run.delete(next);
  }

  /** A success ended the run: this instance's and, as far as it knows, every other. */
  endRun(now: number): void {
    this.lastSuccessAt = new Date(now);
    this.runStartedAt = this.lastSuccessAt;
    this.run.clear();
    this.othersRun = 0;
    this.changes += 1;
  }

  /** Only failures from `start` on are in the run (to within the second they fell in). */
  moveRunTo(start: Date | null): void {
    if (!start || (this.runStartedAt && this.runStartedAt >= start)) return;
    this.runStartedAt = start;
    for (const second of this.run.keys()) {
      if (second * 1000 < start.getTime()) this.run.delete(second);
    }
  }

  /** The shard was folded into the endpoint document: what it held is counted there now. */
  forgetWritten(): void {
    this.failedAttempts -= this.writtenFailedAttempts;
    this.writtenFailedAttempts = 0;
    this.version = undefined;
    for (const second of this.run.keys()) {
      if (second * 1000 <= this.lastPutAt) this.run.delete(second);
    }
  }

  shard(instanceId: string, now: number): HealthShard {
    return {
      instanceId,
      runFailures: this.ownRun(),
      runStartedAt: this.runStartedAt,
      failedAttempts: this.failedAttempts,
      lastFailure: this.lastFailure,
      lastSuccessAt: this.lastSuccessAt,
      updatedAt: new Date(now),
    };
  }
}
