import { describe, expect, it } from 'vitest';
import {
  functions,
  maxProcessingAttempts,
  retryProfiles,
  subscriptions,
  topicList,
} from './spec.ts';
import { differingFields } from './applyPubSub.ts';

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
