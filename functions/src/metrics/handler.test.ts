import type { CloudEvent } from '@google-cloud/functions-framework';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../lib/logger.ts';
import { WarehouseUnavailableError } from '../warehouse/warehouse.ts';
import { createRecomputeMetricsHandler } from './handler.ts';
import type { MetricsDocStore } from './metricsStore.ts';
import type { RecomputeDeps } from './recomputeMetrics.ts';

function message(data: string): CloudEvent<unknown> {
  return {
    id: '1',
    source: '//pubsub',
    type: 'google.cloud.pubsub.topic.v1.messagePublished',
    specversion: '1.0',
    data: { message: { data: Buffer.from(data).toString('base64'), messageId: '1' } },
  };
}

function setup(options: { failing?: boolean } = {}) {
  const ranges: string[] = [];
  const saved: number[] = [];
  const docs: MetricsDocStore = {
    getDays: () => Promise.resolve(new Map()),
    getSiteDay: () => Promise.resolve({ day: undefined, site: undefined }),
    getSiteDays: () => Promise.resolve(new Map()),
    saveRecomputed: (days) => {
      saved.push(days.length);
      return Promise.resolve();
    },
  };
  const deps: RecomputeDeps = {
    docs,
    now: () => new Date('2026-03-10T00:30:00Z'),
    lookbackDays: 7,
    logger: createLogger({ level: 'silent' }),
    warehouse: {
      dailyCounts: (range) => {
        ranges.push(`${range.from}..${range.to}`);
        return options.failing
          ? Promise.reject(new WarehouseUnavailableError('down'))
          : Promise.resolve([]);
      },
      siteStats: () => Promise.resolve([]),
    },
  };
  return { handler: createRecomputeMetricsHandler(() => deps), ranges, saved };
}

describe('the recomputeMetrics entry point', () => {
  it('recomputes the last closed days for the nightly {}', async () => {
    const { handler, ranges, saved } = setup();
    await handler(message('{}'));
    expect(ranges).toEqual(['2026-03-03..2026-03-09']);
    expect(saved).toEqual([7]);
  });

  it('recomputes the range asked on demand', async () => {
    const { handler, ranges } = setup();
    await handler(message('{"from":"2026-02-01","to":"2026-02-03"}'));
    expect(ranges).toEqual(['2026-02-01..2026-02-03']);
  });

  it.each([
    ['data that is not JSON', 'nope'],
    ['an unknown field', '{"day":"2026-03-01"}'],
    ['a bad date', '{"date":"2026-02-30"}'],
    ['an inverted range', '{"from":"2026-03-05","to":"2026-03-01"}'],
  ])('acknowledges %s without recomputing, since it can never succeed', async (_, data) => {
    const { handler, ranges } = setup();
    await expect(handler(message(data))).resolves.toBeUndefined();
    expect(ranges).toEqual([]);
  });

  it('asks for redelivery when the warehouse is unavailable', async () => {
    const { handler, saved } = setup({ failing: true });
    await expect(handler(message('{}'))).rejects.toThrow(WarehouseUnavailableError);
    expect(saved).toEqual([]);
  });
});
