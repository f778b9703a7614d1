/** Topics and subscriptions, with who may publish to and pull from each. */
import { serviceAccounts, subscriptions, topicList, type SubscriptionSpec } from '../spec.ts';
import { bindingStep, provisionStep, type DeployStep, type DeployTarget } from './deployStep.ts';
import { pushEndpointUrl } from './functionSteps.ts';
import {
  accountsFor,
  pubsubServiceAgent,
  serviceAccountEmail,
  serviceAccountMember,
} from './principals.ts';

export function topicSteps(project: string): DeployStep[] {
  const steps: DeployStep[] = [];
  for (const topic of topicList()) {
    steps.push(provisionStep({ type: 'topic', name: topic.name }, { name: topic.name }));
  }
  for (const topic of topicList()) {
    for (const account of accountsFor((fn) => fn.publishes.includes(topic.name))) {
      steps.push(
        bindingStep(`publisher ${topic.name} → ${serviceAccounts[account].id}`, [
          'pubsub',
          'topics',
          'add-iam-policy-binding',
          topic.name,
          `--member=${serviceAccountMember(account, project)}`,
          '--role=roles/pubsub.publisher',
        ]),
      );
    }
  }
  // Pub/Sub forwards to a dead-letter topic as its own service agent.
  for (const deadLetterTopic of new Set(
    subscriptions().flatMap((s) => (s.deadLetter ? [s.deadLetter.topic] : [])),
  )) {
    steps.push(
      bindingStep(`publisher ${deadLetterTopic} → Pub/Sub service agent`, [
        'pubsub',
        'topics',
        'add-iam-policy-binding',
        deadLetterTopic,
        `--member=serviceAccount:${pubsubServiceAgent()}`,
        '--role=roles/pubsub.publisher',
      ]),
    );
  }
  return steps;
}

/** Push subscriptions name their function's URL, so they follow the function steps. */
export function subscriptionSteps(target: DeployTarget): DeployStep[] {
  const steps: DeployStep[] = [];
  for (const subscription of subscriptions('cloud')) {
    steps.push(
      provisionStep(
        { type: 'subscription', name: subscription.name },
        subscriptionSummary(subscription, target),
      ),
    );
  }
  for (const subscription of subscriptions('cloud')) {
    for (const account of accountsFor((fn) => fn.pulls.includes(subscription.name))) {
      steps.push(
        bindingStep(`subscriber ${subscription.name} → ${serviceAccounts[account].id}`, [
          'pubsub',
          'subscriptions',
          'add-iam-policy-binding',
          subscription.name,
          `--member=${serviceAccountMember(account, target.project)}`,
          '--role=roles/pubsub.subscriber',
        ]),
      );
    }
    if (subscription.deadLetter) {
      // Pub/Sub must be able to acknowledge what it forwards to the dead-letter topic.
      steps.push(
        bindingStep(`subscriber ${subscription.name} → Pub/Sub service agent`, [
          'pubsub',
          'subscriptions',
          'add-iam-policy-binding',
          subscription.name,
          `--member=serviceAccount:${pubsubServiceAgent()}`,
          '--role=roles/pubsub.subscriber',
        ]),
      );
    }
  }
  return steps;
}

function subscriptionSummary(
  subscription: SubscriptionSpec,
  target: { project: string; region: string },
): Record<string, unknown> {
  return {
    topic: subscription.topic,
    ackDeadlineSeconds: subscription.ackDeadlineSeconds,
    ...(subscription.pushTo
      ? {
          pushEndpoint: pushEndpointUrl({ ...subscription, pushTo: subscription.pushTo }, target),
          oidcServiceAccount: serviceAccountEmail('pushInvoker', target.project),
        }
      : { delivery: 'pull' }),
    ...(subscription.retry ? { retry: subscription.retry } : {}),
    ...(subscription.deadLetter ? { deadLetter: subscription.deadLetter } : {}),
  };
}
