/** The deploy and the destroy, as ordered steps rendered from the pipeline spec. */
import {
  functions,
  schedules,
  secrets,
  serviceAccounts,
  subscriptions,
  topicList,
  type ServiceAccountName,
} from './spec.ts';
import type { DeployStep, DeployTarget, Resource } from './deploy/deployStep.ts';
import { firestoreSteps } from './deploy/firestoreSteps.ts';
import { functionSteps } from './deploy/functionSteps.ts';
import { iamSteps } from './deploy/iamSteps.ts';
import { serviceAccountEmail } from './deploy/principals.ts';
import { projectSteps } from './deploy/projectSteps.ts';
import { subscriptionSteps, topicSteps } from './deploy/pubsubSteps.ts';
import { scheduleSteps } from './deploy/scheduleSteps.ts';
import { secretSteps } from './deploy/secretSteps.ts';
import { warehouseDatasets, warehouseSteps } from './deploy/warehouseSteps.ts';

/** Every step of a deploy, in an order where each step finds what it needs already there. */
export function buildDeployPlan(target: DeployTarget): DeployStep[] {
  return [
    ...projectSteps(target.region),
    ...iamSteps(target.project),
    ...secretSteps(target.project),
    ...topicSteps(target.project),
    ...warehouseSteps(target),
    ...firestoreSteps(),
    ...functionSteps(target),
    ...subscriptionSteps(target),
    ...scheduleSteps(target.region),
  ];
}

/**
 * What `--destroy` removes, in reverse dependency order. Data (the Firestore database
 * and the warehouse dataset) stays unless `includeData` is set.
 */
export function buildDestroyPlan(
  target: { project: string; region: string },
  options: { includeData: boolean },
): DeployStep[] {
  const { project, region } = target;
  const steps: DeployStep[] = [];
  const remove = (resource: Resource, args: string[], describe: string[]) =>
    steps.push({ kind: 'gcloud', resource, args, onlyIfExists: describe });
  for (const schedule of schedules) {
    remove(
      { type: 'schedule', name: schedule.name },
      ['scheduler', 'jobs', 'delete', schedule.name, `--location=${region}`],
      ['scheduler', 'jobs', 'describe', schedule.name, `--location=${region}`],
    );
  }
  for (const subscription of subscriptions('cloud')) {
    remove(
      { type: 'subscription', name: subscription.name },
      ['pubsub', 'subscriptions', 'delete', subscription.name],
      ['pubsub', 'subscriptions', 'describe', subscription.name],
    );
  }
  for (const fn of functions) {
    remove(
      { type: 'function', name: fn.name },
      ['functions', 'delete', fn.name, '--gen2', `--region=${region}`],
      ['functions', 'describe', fn.name, '--gen2', `--region=${region}`],
    );
  }
  for (const topic of topicList()) {
    remove(
      { type: 'topic', name: topic.name },
      ['pubsub', 'topics', 'delete', topic.name],
      ['pubsub', 'topics', 'describe', topic.name],
    );
  }
  for (const secret of Object.values(secrets)) {
    remove(
      { type: 'secret', name: secret.secretId },
      ['secrets', 'delete', secret.secretId],
      ['secrets', 'describe', secret.secretId],
    );
  }
  for (const name of Object.keys(serviceAccounts) as ServiceAccountName[]) {
    const email = serviceAccountEmail(name, project);
    remove(
      { type: 'service-account', name: serviceAccounts[name].id },
      ['iam', 'service-accounts', 'delete', email],
      ['iam', 'service-accounts', 'describe', email],
    );
  }
  if (options.includeData) {
    for (const dataset of warehouseDatasets()) {
      steps.push({
        kind: 'provision',
        resource: { type: 'dataset', name: dataset },
        desired: { delete: true },
      });
    }
    remove(
      { type: 'firestore-database', name: '(default)' },
      ['firestore', 'databases', 'delete', '--database=(default)'],
      ['firestore', 'databases', 'describe', '--database=(default)'],
    );
  }
  return steps;
}
