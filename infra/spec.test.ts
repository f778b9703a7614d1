import { Cron } from 'croner';
import { describe, expect, it } from 'vitest';
import {
  functions,
  maxProcessingAttempts,
  retryProfiles,
  schedules,
  subscriptions,
  topicList,
  warehouseLoaderRuns,
  warehouseLoaderSubscription,
  warehouseTables,
} from './spec.ts';
import { differingFields } from './applyPubSub.ts';
import { defaults } from '../functions/src/lib/defaults.ts';

describe('pipeline spec', () => {
  it('names every topic and subscription once', () => {
    const topicNames = topicList().map((t) => t.name);
    expect(new Set(topicNames).size).toBe(topicNames.length);
    const subscriptionNames = subscriptions().map((s) => s.name);
    expect(new Set(subscriptionNames).size).toBe(subscriptionNames.length);
  });

  it('points every subscription at a declared topic, and every push at a declared function', () => {
    const topicNames = new Set(topicList().map((t) => t.name));
    const functionNames = new Set(functions.map((f) => f.name));
    const referencedTopics = subscriptions().flatMap((s) => [
      s.topic,
      s.deadLetter?.topic ?? s.topic,
    ]);
    const pushTargets = subscriptions().flatMap((s) => (s.pushTo ? [s.pushTo] : []));
    expect(referencedTopics.filter((name) => !topicNames.has(name))).toEqual([]);
    expect(pushTargets.filter((name) => !functionNames.has(name))).toEqual([]);
    expect(pushTargets.length).toBeGreaterThan(0);
  });

  it('gives every push-triggered function exactly one subscription', () => {
    for (const fn of functions.filter((f) => f.trigger === 'pubsub-push')) {
      expect(subscriptions().filter((s) => s.pushTo === fn.name)).toHaveLength(1);
    }
  });

  it('dead-letters events after the configured attempts, with backoff growing per profile', () => {
    const processing = subscriptions().find((s) => s.pushTo === 'processEvent');
    expect(processing?.deadLetter?.maxDeliveryAttempts).toBe(maxProcessingAttempts);
    for (const profile of Object.values(retryProfiles)) {
      expect(profile.maximumBackoffSeconds).toBeGreaterThan(profile.minimumBackoffSeconds);
    }
  });
});

describe('schedules', () => {
  it('publish on a valid cron to a declared topic that one push subscription delivers to a function', () => {
    const functionNames = new Set(functions.map((f) => f.name));
    expect(schedules.map((s) => s.name).sort()).toEqual([
      'load-warehouse',
      'poll-workspace',
      'recompute-metrics',
    ]);
    for (const schedule of schedules) {
      const job = new Cron(schedule.cron, { timezone: schedule.timeZone, paused: true });
      expect(job.nextRun()).toBeInstanceOf(Date);
      const deliveries = subscriptions().filter((s) => s.topic === schedule.topic && s.pushTo);
      expect(deliveries).toHaveLength(1);
      expect(functionNames.has(deliveries[0]!.pushTo!)).toBe(true);
    }
  });

  it('never redeliver a push while its function may still be running', () => {
    for (const subscription of subscriptions().filter((s) => s.pushTo)) {
      const fn = functions.find((f) => f.name === subscription.pushTo)!;
      expect(subscription.ackDeadlineSeconds).toBeGreaterThanOrEqual(fn.timeoutSeconds);
      expect(subscription.ackDeadlineSeconds).toBeLessThanOrEqual(600);
    }
    const loader = functions.find((f) => f.name === 'loadWarehouse')!;
    expect(loader.concurrency).toBe(1);
    expect(warehouseLoaderRuns).toBeLessThanOrEqual(loader.maxInstances);
    expect(defaults.warehouseRunSeconds).toBeLessThan(loader.timeoutSeconds / 2);
  });

  it('give the warehouse loader a pull subscription on events-processed', () => {
    const pull = subscriptions().find((s) => s.name === warehouseLoaderSubscription);
    expect(pull).toMatchObject({ topic: 'events-processed' });
    expect(pull?.pushTo).toBeUndefined();
  });
});

describe('warehouse tables', () => {
  it('partition and cluster on declared columns, each named once', () => {
    for (const table of warehouseTables) {
      const names = table.columns.map((c) => c.name);
      expect(new Set(names).size).toBe(names.length);
      const partition = table.columns.find((c) => c.name === table.partition.field);
      expect(partition?.type).toBe('TIMESTAMP');
      for (const column of table.clustering) expect(names).toContain(column);
      expect(table.clustering.length).toBeLessThanOrEqual(4);
    }
  });
});

describe('differingFields', () => {
  const desired = {
    ackDeadlineSeconds: 60,
    messageRetentionDuration: { seconds: 604800 },
    pushConfig: { pushEndpoint: 'http://127.0.0.1:1/x' },
    retryPolicy: {
      minimumBackoff: { seconds: 1, nanos: 0 },
      maximumBackoff: { seconds: 10, nanos: 0 },
    },
  };

  it('sees nothing to change when the API returns the same values (numbers as strings)', () => {
    const current = {
      ackDeadlineSeconds: 60,
      messageRetentionDuration: { seconds: '604800', nanos: 0 },
      pushConfig: { pushEndpoint: 'http://127.0.0.1:1/x', attributes: {} },
      retryPolicy: {
        minimumBackoff: { seconds: '1', nanos: 0 },
        maximumBackoff: { seconds: '10', nanos: 0 },
      },
    };
    expect(differingFields(current, desired)).toEqual([]);
  });

  it('names what differs', () => {
    const current = {
      ...desired,
      ackDeadlineSeconds: 10,
      pushConfig: { pushEndpoint: 'http://other' },
    };
    expect(differingFields(current, desired)).toEqual(['ackDeadlineSeconds', 'pushConfig']);
  });
});
