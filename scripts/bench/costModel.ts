import { prices } from '../../bench/prices.ts';

/** What one event costs in operations, as counted by the benchmark. */
export type OpsPerEvent = {
  firestoreReads: number;
  firestoreWrites: number;
  /** Documents removed by TTL policies later (status and idempotency documents). */
  firestoreTtlDeletes: number;
  pubsubPublishes: number;
  pubsubDeliveries: number;
  functionInvocations: number;
  warehouseBytes: number;
};

export type ComputePerEvent = {
  /** CPU seconds spent per event across all function processes. */
  cpuSeconds: number;
  /** Memory of the instances doing the work, in GiB. */
  memoryGib: number;
};

export type CostBreakdown = {
  functions: number;
  pubsub: number;
  firestore: number;
  warehouse: number;
  total: number;
};

/**
 * Instances are billed while they handle requests, not for CPU used; at the
 * concurrency the spec allows, an instance is assumed busy at this share of its CPU.
 */
export const assumedCpuUtilization = 0.5;

/** Dollars per million events. Messages are billed by their size in bytes. */
export function costPerMillionEvents(
  ops: OpsPerEvent,
  compute: ComputePerEvent,
  messageBytes: number,
): CostBreakdown {
  const million = 1_000_000;
  const instanceSeconds = compute.cpuSeconds / assumedCpuUtilization;
  const functions =
    million *
      instanceSeconds *
      (prices.functions.perVcpuSecond + compute.memoryGib * prices.functions.perGibSecond) +
    ops.functionInvocations * prices.functions.perMillionRequests;
  const pubsubBytes = million * (ops.pubsubPublishes + ops.pubsubDeliveries) * messageBytes;
  const pubsub = (pubsubBytes / 2 ** 40) * prices.pubsub.perTib;
  const firestore =
    (million / 100_000) *
    (ops.firestoreReads * prices.firestore.perHundredThousandReads +
      ops.firestoreWrites * prices.firestore.perHundredThousandWrites +
      ops.firestoreTtlDeletes * prices.firestore.perHundredThousandDeletes);
  const warehouse = ((million * ops.warehouseBytes) / 2 ** 30) * prices.bigqueryStorageWrite.perGib;
  const total = functions + pubsub + firestore + warehouse;
  return { functions, pubsub, firestore, warehouse, total };
}

/** Monthly cost of a sustained rate, from the cost per million events. */
export function monthlyCost(perMillion: number, eventsPerSecond: number): number {
  const secondsPerMonth = 30 * 24 * 3600;
  return (perMillion * eventsPerSecond * secondsPerMonth) / 1_000_000;
}
