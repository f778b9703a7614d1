import type { Firestore } from '@google-cloud/firestore';
import { collections } from '../../../infra/spec.ts';

/** A processed event the warehouse can never take, kept with the reason. */
export type WarehouseRejection = {
  eventId: string | undefined;
  messageId: string;
  reason: string;
  /** The message as it arrived, or the event's own text when the message carried many
   * (truncated when stored), so it can be fixed and replayed. */
  data: string;
  /** The event's place in a message of many, so several refused in one stay apart. */
  position?: number;
};

export interface RejectionStore {
  record(rejections: readonly WarehouseRejection[], now: Date): Promise<void>;
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const batchLimit = 500;

export function rejectionId(rejection: WarehouseRejection): string {
  return rejection.eventId && uuid.test(rejection.eventId)
    ? rejection.eventId
    : `message-${rejection.messageId.replaceAll('/', '_')}${rejection.position === undefined ? '' : `-${rejection.position}`}`;
}

/** `warehouse_rejections/{eventId}`: rare, so one document each is affordable. */
export class FirestoreRejectionStore implements RejectionStore {
  readonly #firestore: Firestore;
  readonly #ttlDays: number;

  constructor(firestore: Firestore, options: { ttlDays: number }) {
    this.#firestore = firestore;
    this.#ttlDays = options.ttlDays;
  }

  async record(rejections: readonly WarehouseRejection[], now: Date): Promise<void> {
    const collection = this.#firestore.collection(collections.warehouseRejections.name);
    for (let start = 0; start < rejections.length; start += batchLimit) {
      const batch = this.#firestore.batch();
      for (const rejection of rejections.slice(start, start + batchLimit)) {
        batch.set(collection.doc(rejectionId(rejection)), {
          ...(rejection.eventId ? { eventId: rejection.eventId } : {}),
          messageId: rejection.messageId,
          reason: rejection.reason,
          data: rejection.data.slice(0, 100_000),
          rejectedAt: now,
          expireAt: new Date(now.getTime() + this.#ttlDays * 86_400_000),
        });
      }
      await batch.commit();
    }
  }
}
