import { describe, expect, it } from 'vitest';
import {
  combineHealth,
  foldShards,
  runStart,
  type HealthBase,
  type HealthShard,
} from './endpointHealth.ts';

const t0 = new Date('2026-01-02T03:04:05.000Z').getTime();
const at = (seconds: number) => new Date(t0 + seconds * 1000);
const error = (seconds: number, code = 'http_503') => ({ code, message: code, at: at(seconds) });

const empty: HealthBase = {
  consecutiveFailures: 0,
  failedAttempts: 0,
  lastFailureAt: null,
  lastFailure: null,
  recoveredAt: null,
  runStartedAt: null,
};

function shard(instanceId: string, fields: Partial<HealthShard> = {}): HealthShard {
  return {
    instanceId,
    runFailures: 0,
    runStartedAt: null,
    failedAttempts: 0,
    lastFailure: null,
    lastSuccessAt: null,
    updatedAt: at(0),
    ...fields,
  };
}

describe('combineHealth', () => {
  it('adds up every instance’s failures when none has seen a success', () => {
    const figures = combineHealth(empty, [
      shard('a', { runFailures: 40, failedAttempts: 40, lastFailure: error(3) }),
      shard('b', { runFailures: 70, failedAttempts: 70, lastFailure: error(5, 'timeout') }),
    ]);
    expect(figures).toEqual({
      consecutiveFailures: 110,
      failedAttempts: 110,
      lastFailure: error(5, 'timeout'),
      lastFailureAt: at(5),
      recoveredAt: null,
    });
  });

  it('a success at one instance ends the run: only failures recorded from then on count', () => {
    const shards = [
      // Recorded its failures before b's success and has not written since.
      shard('a', { runFailures: 40, runStartedAt: null, failedAttempts: 40 }),
      shard('b', {
        lastSuccessAt: at(10),
        runStartedAt: at(10),
        runFailures: 2,
        failedAttempts: 9,
      }),
      // Moved its run up to b's success at its last write.
      shard('c', { runStartedAt: at(10), runFailures: 5, failedAttempts: 30 }),
    ];
    expect(runStart(empty, shards)).toEqual(at(10));
    expect(combineHealth(empty, shards)).toMatchObject({
      consecutiveFailures: 7,
      failedAttempts: 79,
      recoveredAt: at(10),
    });
  });

  it('enabling the endpoint again resets the run for every instance; totals stay', () => {
    const base = { ...empty, failedAttempts: 3, runStartedAt: at(20) };
    const shards = [
      shard('a', { runStartedAt: at(10), runFailures: 100, failedAttempts: 100 }),
      shard('b', { runStartedAt: at(21), runFailures: 4, failedAttempts: 4 }),
    ];
    expect(combineHealth(base, shards)).toMatchObject({
      consecutiveFailures: 4,
      failedAttempts: 107,
      recoveredAt: null,
    });
  });

  it('a document written before shards keeps its run until a success after it', () => {
    // Its run counts from its last recovery.
    const legacy = {
      ...empty,
      consecutiveFailures: 5,
      failedAttempts: 12,
      lastFailure: error(8, 'endpoint_gone'),
      lastFailureAt: at(8),
      recoveredAt: at(2),
      runStartedAt: at(2),
    };
    expect(combineHealth(legacy, [])).toMatchObject({
      consecutiveFailures: 5,
      lastFailure: error(8, 'endpoint_gone'),
    });
    const recovered = [shard('a', { lastSuccessAt: at(9), runStartedAt: at(9) })];
    expect(combineHealth(legacy, recovered)).toMatchObject({
      consecutiveFailures: 0,
      failedAttempts: 12,
      recoveredAt: at(9),
    });
  });
});

describe('foldShards', () => {
  const base = { ...empty, consecutiveFailures: 3, failedAttempts: 50, runStartedAt: at(10) };
  const cases: [string, HealthShard[], string[]][] = [
    [
      'idle shards in the run',
      [
        shard('a', { runStartedAt: at(10), runFailures: 8, failedAttempts: 20 }),
        shard('b', { runStartedAt: at(12), runFailures: 1, failedAttempts: 1 }),
      ],
      ['a'],
    ],
    [
      'a shard whose success started the run',
      [
        shard('a', { lastSuccessAt: at(15), runStartedAt: at(15), runFailures: 2 }),
        shard('b', { runStartedAt: at(15), runFailures: 6, failedAttempts: 9 }),
        shard('c', { runStartedAt: null, runFailures: 40, failedAttempts: 40 }),
      ],
      ['a', 'c'],
    ],
    [
      'every shard',
      [shard('a', { runFailures: 4, failedAttempts: 4, lastFailure: error(30) })],
      ['a'],
    ],
  ];
  it.each(cases)('changes none of the figures: %s', (_, shards, fold) => {
    const folded = foldShards(base, shards, new Set(fold));
    const left = shards.filter((s) => !fold.includes(s.instanceId));
    expect(combineHealth(folded, left)).toEqual(combineHealth(base, shards));
    expect(runStart(folded, left)).toEqual(runStart(base, shards));
  });
});
