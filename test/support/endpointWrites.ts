import type { WebhookEndpoint } from '../../functions/src/webhooks/endpoint.ts';
import type { HealthShard } from '../../functions/src/webhooks/endpointHealth.ts';
import type {
  DisabledReason,
  EndpointStore,
  HealthVersion,
} from '../../functions/src/webhooks/endpointStore.ts';

/**
 * An endpoint store that notes every write that happened, per document (the endpoint's
 * `webhook_endpoints/{id}`, each shard's `…/health/{instanceId}`), with its time, so a
 * test or a benchmark can say how many writes any one document took in any second.
 */
export class WriteCountingEndpointStore implements EndpointStore {
  readonly writes = new Map<string, number[]>();
  readonly #inner: EndpointStore;
  readonly #clock: () => number;

  constructor(inner: EndpointStore, clock: () => number = Date.now) {
    this.#inner = inner;
    this.#clock = clock;
  }

  #wrote(path: string): void {
    this.writes.set(path, [...(this.writes.get(path) ?? []), this.#clock()]);
  }

  async create(endpoint: WebhookEndpoint): Promise<void> {
    await this.#inner.create(endpoint);
    this.#wrote(endpointPath(endpoint.id));
  }
  get(id: string): Promise<WebhookEndpoint | undefined> {
    return this.#inner.get(id);
  }
  getWithHealth(id: string): Promise<WebhookEndpoint | undefined> {
    return this.#inner.getWithHealth(id);
  }
  list(): Promise<WebhookEndpoint[]> {
    return this.#inner.list();
  }
  listRoutes(): ReturnType<EndpointStore['listRoutes']> {
    return this.#inner.listRoutes();
  }
  async update(
    id: string,
    change: (current: WebhookEndpoint) => WebhookEndpoint,
  ): Promise<WebhookEndpoint | undefined> {
    const updated = await this.#inner.update(id, change);
    if (updated) this.#wrote(endpointPath(id));
    return updated;
  }
  delete(id: string): Promise<boolean> {
    return this.#inner.delete(id);
  }
  listHealth(id: string): Promise<HealthShard[]> {
    return this.#inner.listHealth(id);
  }
  async putHealth(
    id: string,
    shard: HealthShard,
    expected: HealthVersion | undefined,
  ): Promise<HealthVersion | 'folded'> {
    const at = this.#clock();
    const written = await this.#inner.putHealth(id, shard, expected);
    if (written !== 'folded') {
      const path = `${endpointPath(id)}/health/${shard.instanceId}`;
      this.writes.set(path, [...(this.writes.get(path) ?? []), at]);
    }
    return written;
  }
  async disable(id: string, reason: DisabledReason, at: Date): Promise<boolean> {
    const disabled = await this.#inner.disable(id, reason, at);
    if (disabled) this.#wrote(endpointPath(id));
    return disabled;
  }
  async foldHealth(id: string, instanceIds: readonly string[], idleMs: number): Promise<boolean> {
    const folded = await this.#inner.foldHealth(id, instanceIds, idleMs);
    if (folded) this.#wrote(endpointPath(id));
    return folded;
  }

  /** The most writes any one document took within any second (a sliding window). */
  perSecondMax(): number {
    let most = 0;
    for (const times of this.writes.values()) {
      const sorted = [...times].sort((a, b) => a - b);
      let first = 0;
      for (let last = 0; last < sorted.length; last += 1) {
        while (sorted[last]! - sorted[first]! >= 1000) first += 1;
        most = Math.max(most, last - first + 1);
      }
    }
    return most;
  }

  /** The most writes any one document took in all. */
  perDocumentMax(): number {
    return Math.max(0, ...[...this.writes.values()].map((times) => times.length));
  }

  reset(): void {
    this.writes.clear();
  }
}

function endpointPath(id: string): string {
  return `webhook_endpoints/${id}`;
}
