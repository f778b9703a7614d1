import type { DocumentSnapshot, Firestore, Timestamp } from '@google-cloud/firestore';
import { collections } from '../../../infra/spec.ts';
import { DocumentCollection, timestampDate as date } from '../lib/documentCollection.ts';
import type { EndpointRoute, StoredSecret, WebhookEndpoint } from './endpoint.ts';
import { foldShards, withHealth, type HealthBase, type HealthShard } from './endpointHealth.ts';

/** The version of a health shard as last written, for a conditional write. */
export type HealthVersion = { readonly updateTime: Timestamp };

export type DisabledReason = 'endpoint_gone' | 'consecutive_failures';

/**
 * Webhook endpoints in Firestore (`webhook_endpoints/{id}`) and their health shards
 * (`webhook_endpoints/{id}/health/{instanceId}`, one per instance that recorded an outcome).
 */
export interface EndpointStore {
  create(endpoint: WebhookEndpoint): Promise<void>;
  /** The document alone, as each delivery reads it: health figures without the shards'. */
  get(id: string): Promise<WebhookEndpoint | undefined>;
  /** The endpoint with its shards' health combined, as operators see it. */
  getWithHealth(id: string): Promise<WebhookEndpoint | undefined>;
  /** Every endpoint with its shards' health combined, oldest first. */
  list(): Promise<WebhookEndpoint[]>;
  /** Only the ids and event types, for the fan-out. */
  listRoutes(): Promise<EndpointRoute[]>;
  /** Reads, changes and writes the endpoint in one transaction; undefined if it does not exist. */
  update(
    id: string,
    change: (current: WebhookEndpoint) => WebhookEndpoint,
  ): Promise<WebhookEndpoint | undefined>;
  /** Deletes the endpoint and its health shards. */
  delete(id: string): Promise<boolean>;
  /** The endpoint's health shards (one query). */
  listHealth(id: string): Promise<HealthShard[]>;
  /**
   * Writes one instance's shard: created when `expected` is undefined, else only over
   * that version. `folded` when the shard is gone: folded into the endpoint meanwhile.
   */
  putHealth(
    id: string,
    shard: HealthShard,
    expected: HealthVersion | undefined,
  ): Promise<HealthVersion | 'folded'>;
  /** Disables the endpoint if it is still enabled; true if this call did. */
  disable(id: string, reason: DisabledReason, at: Date): Promise<boolean>;
  /**
   * Folds the named shards, when not written for `idleMs`, into the endpoint document and
   * deletes them, unless the document was written within the last second; true if it did.
   */
  foldHealth(id: string, instanceIds: readonly string[], idleMs: number): Promise<boolean>;
}

const NOT_FOUND = 5;
const ALREADY_EXISTS = 6;
const FAILED_PRECONDITION = 9;

export class FirestoreEndpointStore implements EndpointStore {
  readonly #firestore: Firestore;
  readonly #documents: DocumentCollection<WebhookEndpoint>;

  constructor(firestore: Firestore) {
    this.#firestore = firestore;
    this.#documents = new DocumentCollection(firestore, collections.webhookEndpoints.name, {
      toDocument,
      fromSnapshot,
    });
  }

  create(endpoint: WebhookEndpoint): Promise<void> {
    return this.#documents.create(endpoint);
  }

  get(id: string): Promise<WebhookEndpoint | undefined> {
    return this.#documents.get(id);
  }

  async getWithHealth(id: string): Promise<WebhookEndpoint | undefined> {
    const [endpoint, shards] = await Promise.all([this.get(id), this.listHealth(id)]);
    return endpoint && withHealth(endpoint, shards);
  }

  async list(): Promise<WebhookEndpoint[]> {
    const [endpoints, shards] = await Promise.all([
      this.#documents.list(),
      this.#firestore.collectionGroup(collections.webhookHealth.name).get(),
    ]);
    const byEndpoint = new Map<string, HealthShard[]>();
    for (const doc of shards.docs) {
      const endpoint = doc.ref.parent.parent;
      if (endpoint?.parent.id !== collections.webhookEndpoints.name) continue;
      byEndpoint.set(endpoint.id, [...(byEndpoint.get(endpoint.id) ?? []), shardFromSnapshot(doc)]);
    }
    return endpoints.map((endpoint) => withHealth(endpoint, byEndpoint.get(endpoint.id) ?? []));
  }

  async listRoutes(): Promise<EndpointRoute[]> {
    const snapshot = await this.#documents.collection().select('eventTypes', 'producers').get();
    return snapshot.docs.map((doc) => {
      const producers = doc.get('producers') as string[] | null | undefined;
      return {
        id: doc.id,
        eventTypes: (doc.get('eventTypes') as string[] | undefined) ?? [],
        ...(producers ? { producers } : {}),
      };
    });
  }

  update(
    id: string,
    change: (current: WebhookEndpoint) => WebhookEndpoint,
  ): Promise<WebhookEndpoint | undefined> {
    return this.#documents.update(id, change);
  }

  async delete(id: string): Promise<boolean> {
    const deleted = (await this.#documents.delete(id)) !== undefined;
    // Also when the document was gone: a shard written as it was deleted is removed too.
    await this.#firestore.recursiveDelete(this.#health(id));
    return deleted;
  }

  async listHealth(id: string): Promise<HealthShard[]> {
    return (await this.#health(id).get()).docs.map(shardFromSnapshot);
  }

  async putHealth(
    id: string,
    shard: HealthShard,
    expected: HealthVersion | undefined,
  ): Promise<HealthVersion | 'folded'> {
    const doc = this.#health(id).doc(shard.instanceId);
    const { instanceId: _instanceId, ...fields } = shard;
    try {
      const written = expected
        ? await doc.update(fields, { lastUpdateTime: expected.updateTime })
        : await doc.create(fields);
      return { updateTime: written.writeTime };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (expected && code === NOT_FOUND) return 'folded';
      // Only this instance writes its shard: an earlier write of its own that seemed to fail.
      if (code === ALREADY_EXISTS || code === FAILED_PRECONDITION) {
        return { updateTime: (await doc.set(fields)).writeTime };
      }
      throw error;
    }
  }

  /**
   * A write conditional on the document as read, not a transaction: instances that find
   * the limit reached together do not wait on each other's locks, and one of them writes.
   */
  async disable(id: string, reason: DisabledReason, at: Date): Promise<boolean> {
    const doc = this.#documents.doc(id);
    for (let round = 0; round < 3; round += 1) {
      const snapshot = await doc.get();
      if (snapshot.get('enabled') !== true || !snapshot.updateTime) return false;
      try {
        const fields = { enabled: false, disabledReason: reason, disabledAt: at };
        await doc.update(fields, { lastUpdateTime: snapshot.updateTime });
        return true;
      } catch (error) {
        // Changed meanwhile (disabled by another instance, or by an operator): read again.
        if ((error as { code?: unknown }).code !== FAILED_PRECONDITION) throw error;
      }
    }
    return false;
  }

  foldHealth(id: string, instanceIds: readonly string[], idleMs: number): Promise<boolean> {
    const doc = this.#documents.doc(id);
    return this.#firestore.runTransaction(async (transaction) => {
      const snapshot = await transaction.get(doc);
      const shardDocs = (await transaction.get(this.#health(id))).docs;
      const now = snapshot.readTime.toMillis();
      if (!snapshot.exists || now - (snapshot.updateTime?.toMillis() ?? 0) < 1000) return false;
      const shards = shardDocs.map(shardFromSnapshot);
      const fold = new Set(
        shards
          .filter((s) => instanceIds.includes(s.instanceId))
          .filter((s) => now - s.updatedAt.getTime() >= idleMs)
          .map((s) => s.instanceId),
      );
      if (fold.size === 0) return false;
      const folded: HealthBase = foldShards(fromSnapshot(snapshot), shards, fold);
      transaction.update(doc, { ...folded });
      for (const shard of shardDocs) if (fold.has(shard.id)) transaction.delete(shard.ref);
      return true;
    });
  }

  #health(id: string) {
    return this.#documents.doc(id).collection(collections.webhookHealth.name);
  }
}

function toDocument(endpoint: WebhookEndpoint): Record<string, unknown> {
  const { id: _id, producers, sourceId, ...fields } = endpoint;
  // Absent rather than undefined: Firestore refuses undefined values.
  return { ...fields, ...(producers ? { producers } : {}), ...(sourceId ? { sourceId } : {}) };
}

function fromSnapshot(snapshot: DocumentSnapshot): WebhookEndpoint {
  const data = snapshot.data() ?? {};
  return {
    id: snapshot.id,
    url: String(data.url ?? ''),
    description: (data.description as string | null | undefined) ?? null,
    eventTypes: (data.eventTypes as string[] | undefined) ?? [],
    ...(Array.isArray(data.producers) ? { producers: data.producers as string[] } : {}),
    ...(typeof data.sourceId === 'string' ? { sourceId: data.sourceId } : {}),
    enabled: data.enabled === true,
    disabledReason: (data.disabledReason as WebhookEndpoint['disabledReason'] | undefined) ?? null,
    disabledAt: date(data.disabledAt),
    secrets: ((data.secrets as Record<string, unknown>[] | undefined) ?? []).map(
      (secret): StoredSecret => ({
        ciphertext: String(secret.ciphertext),
        createdAt: date(secret.createdAt) ?? new Date(0),
        expiresAt: date(secret.expiresAt),
      }),
    ),
    consecutiveFailures: Number(data.consecutiveFailures ?? 0),
    failedAttempts: Number(data.failedAttempts ?? 0),
    lastFailureAt: date(data.lastFailureAt),
    lastFailure: endpointError(data.lastFailure),
    recoveredAt: date(data.recoveredAt),
    // Documents written before the shards: the run counted from the last recovery.
    runStartedAt: date(data.runStartedAt) ?? date(data.recoveredAt),
    createdAt: date(data.createdAt) ?? new Date(0),
    updatedAt: date(data.updatedAt) ?? new Date(0),
  };
}

function shardFromSnapshot(snapshot: DocumentSnapshot): HealthShard {
  const data = snapshot.data() ?? {};
  return {
    instanceId: snapshot.id,
    runFailures: Number(data.runFailures ?? 0),
    runStartedAt: date(data.runStartedAt),
    failedAttempts: Number(data.failedAttempts ?? 0),
    lastFailure: endpointError(data.lastFailure),
    lastSuccessAt: date(data.lastSuccessAt),
    updatedAt: date(data.updatedAt) ?? new Date(0),
  };
}

function endpointError(value: unknown): WebhookEndpoint['lastFailure'] {
  const error = value as { code: string; message: string; at: unknown } | null | undefined;
  return error
    ? { code: error.code, message: error.message, at: date(error.at) ?? new Date(0) }
    : null;
}
