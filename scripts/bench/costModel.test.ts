import { describe, expect, it } from 'vitest';
import { prices } from '../../bench/prices.ts';
import { costPerMillionEvents, monthlyCost } from './costModel.ts';
import { percentile } from './stats.ts';

const none = {
  firestoreReads: 0,
  firestoreWrites: 0,
  firestoreTtlDeletes: 0,
  pubsubPublishes: 0,
  pubsubDeliveries: 0,
  functionInvocations: 0,
  warehouseBytes: 0,
};

describe('cost model', () => {
  it('prices one Firestore write per event at the list price per million', () => {
    const cost = costPerMillionEvents(
      { ...none, firestoreWrites: 1 },
      { cpuSeconds: 0, memoryGib: 0 },
      0,
    );
    expect(cost.firestore).toBeCloseTo(prices.firestore.perHundredThousandWrites * 10);
    expect(cost.total).toBeCloseTo(cost.firestore);
  });

  it('prices invocations per million requests and instance time from CPU time', () => {
    const cost = costPerMillionEvents(
      { ...none, functionInvocations: 2 },
      { cpuSeconds: 0.001, memoryGib: 0.5 },
      0,
    );
    const instanceSeconds = 1_000_000 * 0.002;
    expect(cost.functions).toBeCloseTo(
      2 * prices.functions.perMillionRequests +
        instanceSeconds * (prices.functions.perVcpuSecond + 0.5 * prices.functions.perGibSecond),
    );
  });

  it('scales a per-million cost to a month at a sustained rate', () => {
    expect(monthlyCost(1, 1000)).toBeCloseTo(2592);
  });
});

describe('percentile', () => {
  it('uses the nearest rank', () => {
    const samples = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(samples, 50)).toBe(50);
    expect(percentile(samples, 99)).toBe(99);
    expect(percentile([5], 99)).toBe(5);
    expect(percentile([], 50)).toBeUndefined();
  });
});
