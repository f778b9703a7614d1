import type { PubSub } from '@google-cloud/pubsub';
import {
  subscriptions,
  topicList,
  type FunctionName,
  type RetryProfile,
  type SubscriptionSpec,
} from './spec.ts';

/**
 * The path a push endpoint ends with, under the function's URL, locally and in the
 * cloud: the functions framework reads the topic of the CloudEvent's `source` from it,
 * and warns on every push whose path names none.
 */
export function topicPushPath(projectId: string, topic: string): string {
  return `/projects/${projectId}/topics/${topic}`;
}

export type ApplyReport = { created: string[]; updated: string[]; unchanged: string[] };

export type ApplyOutcome = 'created' | 'updated' | 'unchanged';

export type ApplyOptions = {
  profile: RetryProfile;
  /** Where a push subscription delivers for a function; the local stack's or the cloud's URL. */
  pushEndpoint: (fn: FunctionName, subscription: SubscriptionSpec) => string;
  /** In the cloud, pushes carry an OIDC token of this identity for this audience. */
  pushAuth?: (fn: FunctionName) => { serviceAccountEmail: string; audience: string };
};

/**
 * Brings Pub/Sub in line with the spec: creates what is missing, updates what
 * differs, leaves alone what is equal. Applying twice changes nothing the second time.
 */
export async function applyPubSubSpec(pubsub: PubSub, options: ApplyOptions): Promise<ApplyReport> {
  const report: ApplyReport = { created: [], updated: [], unchanged: [] };
  for (const spec of topicList()) {
    report[await ensureTopic(pubsub, spec.name)].push(`topic/${spec.name}`);
  }
  for (const spec of subscriptions(options.profile)) {
    const desired = desiredSubscription(pubsub, spec, options);
    report[await ensureSubscription(pubsub, spec, desired)].push(`subscription/${spec.name}`);
  }
  return report;
}

export async function ensureTopic(pubsub: PubSub, name: string): Promise<ApplyOutcome> {
  const topic = pubsub.topic(name);
  const [exists] = await topic.exists();
  if (exists) return 'unchanged';
  await ignoreAlreadyExists(topic.create());
  return 'created';
}

export async function ensureSubscription(
  pubsub: PubSub,
  spec: SubscriptionSpec,
  desired: DesiredSubscription,
): Promise<ApplyOutcome> {
  const subscription = pubsub.subscription(spec.name);
  const [exists] = await subscription.exists();
  if (!exists) {
    await ignoreAlreadyExists(pubsub.topic(spec.topic).createSubscription(spec.name, desired));
    return 'created';
  }
  const [current] = await subscription.getMetadata();
  const differences = differingFields(current as unknown as Record<string, unknown>, desired);
  if (differences.length === 0) return 'unchanged';
  await subscription.setMetadata(pick(desired, differences));
  return 'updated';
}

export type DesiredSubscription = {
  ackDeadlineSeconds: number;
  messageRetentionDuration: { seconds: number };
  pushConfig:
    | { pushEndpoint: string; oidcToken?: { serviceAccountEmail: string; audience: string } }
    | Record<string, never>;
  retryPolicy?: { minimumBackoff: Duration; maximumBackoff: Duration };
  deadLetterPolicy?: { deadLetterTopic: string; maxDeliveryAttempts: number };
};

type Duration = { seconds: number; nanos: number };

export function desiredSubscription(
  pubsub: PubSub,
  spec: SubscriptionSpec,
  options: ApplyOptions,
): DesiredSubscription {
  return {
    ackDeadlineSeconds: spec.ackDeadlineSeconds,
    messageRetentionDuration: { seconds: spec.messageRetentionSeconds },
    pushConfig: spec.pushTo
      ? {
          pushEndpoint: options.pushEndpoint(spec.pushTo, spec),
          ...(options.pushAuth ? { oidcToken: options.pushAuth(spec.pushTo) } : {}),
        }
      : {},
    ...(spec.retry
      ? {
          retryPolicy: {
            minimumBackoff: duration(spec.retry.minimumBackoffSeconds),
            maximumBackoff: duration(spec.retry.maximumBackoffSeconds),
          },
        }
      : {}),
    ...(spec.deadLetter
      ? {
          deadLetterPolicy: {
            deadLetterTopic: `projects/${pubsub.projectId}/topics/${spec.deadLetter.topic}`,
            maxDeliveryAttempts: spec.deadLetter.maxDeliveryAttempts,
          },
        }
      : {}),
  };
}

function duration(seconds: number): Duration {
  const whole = Math.floor(seconds);
  return { seconds: whole, nanos: Math.round((seconds - whole) * 1e9) };
}

/** Fields of `desired` whose value differs from what Pub/Sub holds. */
export function differingFields(
  current: Record<string, unknown>,
  desired: DesiredSubscription,
): (keyof DesiredSubscription)[] {
  return (Object.keys(desired) as (keyof DesiredSubscription)[]).filter(
    (field) => !sameValue(current[field], desired[field]),
  );
}

/** Compares what we asked for against what the API returns (numbers may come back as strings). */
function sameValue(current: unknown, desired: unknown): boolean {
  if (desired === null || typeof desired !== 'object') {
    return scalarText(current) === scalarText(desired);
  }
  const currentObject = (current ?? {}) as Record<string, unknown>;
  return Object.entries(desired).every(([key, value]) => sameValue(currentObject[key], value));
}

function scalarText(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : '';
}

function pick<T extends object, K extends keyof T>(value: T, keys: K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((key) => [key, value[key]])) as Pick<T, K>;
}

async function ignoreAlreadyExists(operation: Promise<unknown>): Promise<void> {
  try {
    await operation;
  } catch (error) {
    // Another process applied the same spec at the same moment.
    if ((error as { code?: unknown }).code !== 6) throw error;
  }
}
