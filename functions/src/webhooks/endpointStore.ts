import { FieldValue, type DocumentSnapshot, type Firestore } from '@google-cloud/firestore';
import { collections } from '../../../infra/spec.ts';
import { DocumentCollection, timestampDate as date } from '../lib/documentCollection.ts';
import type { EndpointChange } from './delivery.ts';
import type { EndpointRoute, StoredSecret, WebhookEndpoint } from './endpoint.ts';

/** Webhook endpoints in Firestore (`webhook_endpoints/{id}`). */
export interface EndpointStore {
  create(endpoint: WebhookEndpoint): Promise<void>;
  get(id: string): Promise<WebhookEndpoint | undefined>;
  list(): Promise<WebhookEndpoint[]>;
  /** Only the ids and event types, for the fan-out. */
  listRoutes(): Promise<EndpointRoute[]>;
  /** Reads, changes and writes the endpoint in one transaction; undefined if it does not exist. */
  update(
    id: string,
    change: (current: WebhookEndpoint) => WebhookEndpoint,
  ): Promise<WebhookEndpoint | undefined>;
  delete(id: string): Promise<boolean>;
  /** Records what a delivery attempt says about the endpoint. */
  recordOutcome(id: string, change: EndpointChange, now: Date): Promise<void>;
}

const NOT_FOUND = 5;

export class FirestoreEndpointStore implements EndpointStore {
  readonly #documents: DocumentCollection<WebhookEndpoint>;

  constructor(firestore: Firestore) {
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

  list(): Promise<WebhookEndpoint[]> {
    return this.#documents.list();
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
    return (await this.#documents.delete(id)) !== undefined;
  }

  async recordOutcome(id: string, change: EndpointChange, now: Date): Promise<void> {
    if (change.kind === 'none') return;
    const fields: Record<string, unknown> =
      change.kind === 'recovered'
        ? { consecutiveFailures: 0, recoveredAt: now }
        : {
            // Increments, so concurrent failures all count.
            consecutiveFailures: FieldValue.increment(1),
            failedAttempts: FieldValue.increment(1),
            lastFailureAt: now,
            lastFailure: { ...change.error, at: now },
            ...(change.disable
              ? { enabled: false, disabledReason: change.disable, disabledAt: now }
              : {}),
          };
    try {
      await this.#documents.doc(id).update(fields);
    } catch (error) {
      // Deleted meanwhile: nothing left to keep statistics for.
      if ((error as { code?: unknown }).code !== NOT_FOUND) throw error;
    }
  }
}

function toDocument(endpoint: WebhookEndpoint): Record<string, unknown> {
  const { id: _id, producers, sourceId, ...fields } = endpoint;
  // Absent rather than undefined: Firestore refuses undefined values.
  return { ...fields, ...(producers ? { producers } : {}), ...(sourceId ? { sourceId } : {}) };
}

function fromSnapshot(snapshot: DocumentSnapshot): WebhookEndpoint {
  const data = snapshot.data() ?? {};
  const lastFailure = data.lastFailure as { code: string; message: string; at: unknown } | null;
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
    lastFailure: lastFailure
      ? {
          code: lastFailure.code,
          message: lastFailure.message,
          at: date(lastFailure.at) ?? new Date(0),
        }
      : null,
    recoveredAt: date(data.recoveredAt),
    createdAt: date(data.createdAt) ?? new Date(0),
    updatedAt: date(data.updatedAt) ?? new Date(0),
  };
}
