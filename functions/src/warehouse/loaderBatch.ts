import type { ProcessedEvent } from '../lib/eventEnvelope.ts';
import { decodeProcessedMessage } from '../lib/eventMessages.ts';
import type { PulledMessage } from './pullSource.ts';
import type { WarehouseRejection } from './rejectionStore.ts';
import type { WarehouseRow, WriteResult } from './warehouse.ts';
import { toWarehouseRow } from './warehouseRow.ts';

/**
 * A pulled batch ready to write: one row per event, and what to do with each message.
 * A message may carry many events; it is acknowledged once every one of them is
 * written, or refused for good and recorded.
 */
export type BatchPlan = {
  rows: WarehouseRow[];
  /** For each row, the messages that carried its event (a redelivery may bring two). */
  sources: PulledMessage[][];
  /** Events that are not a processed event at all, each with its message. */
  invalid: { message: PulledMessage; rejection: WarehouseRejection }[];
  /** Every message of the batch, in the order pulled. */
  messages: readonly PulledMessage[];
  /** Events of suppressed or erased subjects: never written, their messages acknowledged. */
  dropped: number;
};

export function planBatch(
  messages: readonly PulledMessage[],
  drops: (event: ProcessedEvent) => unknown = () => false,
): BatchPlan {
  const plan: BatchPlan = { rows: [], sources: [], invalid: [], messages, dropped: 0 };
  const rowByEventId = new Map<string, number>();
  for (const message of messages) {
    for (const [position, decoded] of decodeProcessedMessage(
      message.data,
      message.attributes,
    ).entries()) {
      if (!decoded.ok) {
        plan.invalid.push({
          message,
          rejection: {
            eventId: decoded.eventId,
            messageId: message.messageId,
            reason: decoded.reason,
            data: decoded.text,
            position,
          },
        });
        continue;
      }
      if (drops(decoded.value)) {
        plan.dropped += 1;
        continue;
      }
      const existing = rowByEventId.get(decoded.value.eventId);
      if (existing !== undefined) {
        const sources = plan.sources[existing]!;
        if (!sources.includes(message)) sources.push(message);
        continue;
      }
      rowByEventId.set(decoded.value.eventId, plan.rows.length);
      plan.rows.push(toWarehouseRow(decoded.value));
      plan.sources.push([message]);
    }
  }
  return plan;
}

export type Settlement = {
  /** Messages whose every event is written: acknowledge them. */
  written: string[];
  /** Refused for good: record the reasons, then acknowledge these messages. */
  rejections: { rejection: WarehouseRejection; ackIds: string[] }[];
  rowsWritten: number;
  /** Events that arrived more than once in the batch. */
  duplicates: number;
};

/** What the warehouse's answer means for each message of the batch. */
export function settleBatch(plan: BatchPlan, result: WriteResult): Settlement {
  const rejectedReason = new Map(result.rejected.map((r) => [r.index, r.reason]));
  const settlement: Settlement = { written: [], rejections: [], rowsWritten: 0, duplicates: 0 };
  // A message with any refused event waits for the refusal to be recorded.
  const awaitingRecord = new Set<PulledMessage>();
  for (const [index, sources] of plan.sources.entries()) {
    settlement.duplicates += sources.length - 1;
    const reason = rejectedReason.get(index);
    if (reason === undefined) {
      settlement.rowsWritten += 1;
      continue;
    }
    for (const message of sources) awaitingRecord.add(message);
    const first = sources[0]!;
    const row = plan.rows[index]!;
    settlement.rejections.push({
      rejection: {
        eventId: row.event_id,
        messageId: first.messageId,
        reason,
        // The refused event alone, not its whole message: its row as the warehouse got it.
        data: JSON.stringify(row),
      },
      ackIds: sources.map((message) => message.ackId),
    });
  }
  for (const { message, rejection } of plan.invalid) {
    awaitingRecord.add(message);
    settlement.rejections.push({ rejection, ackIds: [message.ackId] });
  }
  settlement.written = plan.messages
    .filter((message) => !awaitingRecord.has(message))
    .map((message) => message.ackId);
  return settlement;
}
