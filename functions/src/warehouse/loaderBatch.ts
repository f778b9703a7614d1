import type { PulledMessage } from './pullSource.ts';
import type { WarehouseRejection } from './rejectionStore.ts';
import type { WarehouseRow, WriteResult } from './warehouse.ts';
import { rowFromMessage } from './warehouseRow.ts';

/** A pulled batch ready to write: one row per event, and what to do with each message. */
export type BatchPlan = {
  rows: WarehouseRow[];
  /** For each row, the messages that carried its event (a redelivery may bring two). */
  sources: PulledMessage[][];
  /** Messages that are not a processed event at all. */
  invalid: { message: PulledMessage; rejection: WarehouseRejection }[];
};

export function planBatch(messages: readonly PulledMessage[]): BatchPlan {
  const plan: BatchPlan = { rows: [], sources: [], invalid: [] };
  const rowByEventId = new Map<string, number>();
  for (const message of messages) {
    const decoded = rowFromMessage(message.data, message.attributes);
    if (!decoded.ok) {
      plan.invalid.push({
        message,
        rejection: {
          eventId: decoded.eventId,
          messageId: message.messageId,
          reason: decoded.reason,
          data: message.data.toString('utf8'),
        },
      });
      continue;
    }
    const existing = rowByEventId.get(decoded.row.event_id);
    if (existing !== undefined) {
      plan.sources[existing]!.push(message);
      continue;
    }
    rowByEventId.set(decoded.row.event_id, plan.rows.length);
    plan.rows.push(decoded.row);
    plan.sources.push([message]);
  }
  return plan;
}

export type Settlement = {
  /** Messages whose row is written: acknowledge them. */
  written: string[];
  /** Refused for good: record the reason, then acknowledge. */
  rejections: { rejection: WarehouseRejection; ackIds: string[] }[];
  rowsWritten: number;
  duplicates: number;
};

/** What the warehouse's answer means for each message of the batch. */
export function settleBatch(plan: BatchPlan, result: WriteResult): Settlement {
  const rejectedReason = new Map(result.rejected.map((r) => [r.index, r.reason]));
  const settlement: Settlement = { written: [], rejections: [], rowsWritten: 0, duplicates: 0 };
  for (const [index, sources] of plan.sources.entries()) {
    const ackIds = sources.map((message) => message.ackId);
    settlement.duplicates += sources.length - 1;
    const reason = rejectedReason.get(index);
    if (reason === undefined) {
      settlement.written.push(...ackIds);
      settlement.rowsWritten += 1;
      continue;
    }
    const first = sources[0]!;
    settlement.rejections.push({
      rejection: {
        eventId: plan.rows[index]!.event_id,
        messageId: first.messageId,
        reason,
        data: first.data.toString('utf8'),
      },
      ackIds,
    });
  }
  for (const { message, rejection } of plan.invalid) {
    settlement.rejections.push({ rejection, ackIds: [message.ackId] });
  }
  return settlement;
}
