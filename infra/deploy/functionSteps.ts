/** The functions: their source built once, each deployed, the push ones invocable by Pub/Sub only. */
import { topicPushPath } from '../applyPubSub.ts';
import { functions, secrets, serviceAccounts, type FunctionSpec } from '../spec.ts';
import { bindingStep, gcloudStep, type DeployStep, type DeployTarget } from './deployStep.ts';
import { pubsubServiceAgent, serviceAccountEmail, serviceAccountMember } from './principals.ts';

/** A function's URL: the audience of the OIDC token its pushes carry. */
export function functionUrl(fn: string, target: { project: string; region: string }): string {
  return `https://${target.region}-${target.project}.cloudfunctions.net/${fn}`;
}

/**
 * Where a subscription pushes in the cloud: under its function's URL, the path the
 * local stack pushes to (the platform hands a function every path under its URL, as
 * the API routes of `ingest` and `api` rely on).
 */
export function pushEndpointUrl(
  subscription: { pushTo: string; topic: string },
  target: { project: string; region: string },
): string {
  return `${functionUrl(subscription.pushTo, target)}${topicPushPath(target.project, subscription.topic)}`;
}

export function functionSteps(target: DeployTarget): DeployStep[] {
  const { project, region } = target;
  const steps: DeployStep[] = [
    { kind: 'build', resource: { type: 'source', name: 'functions' }, sourceDir: target.sourceDir },
  ];
  for (const fn of functions)
    steps.push(gcloudStep({ type: 'function', name: fn.name }, deployFunctionArgs(fn, target)));
  for (const fn of functions.filter((f) => f.trigger === 'pubsub-push')) {
    steps.push(
      bindingStep(`run.invoker ${fn.name} → ${serviceAccounts.pushInvoker.id}`, [
        'functions',
        'add-invoker-policy-binding',
        fn.name,
        `--region=${region}`,
        `--member=${serviceAccountMember('pushInvoker', project)}`,
      ]),
    );
  }
  // Pub/Sub mints the push subscriptions' OIDC tokens as the push invoker.
  steps.push(
    bindingStep(`tokenCreator ${serviceAccounts.pushInvoker.id} → Pub/Sub service agent`, [
      'iam',
      'service-accounts',
      'add-iam-policy-binding',
      serviceAccountEmail('pushInvoker', project),
      `--member=serviceAccount:${pubsubServiceAgent()}`,
      '--role=roles/iam.serviceAccountTokenCreator',
    ]),
  );
  return steps;
}

function deployFunctionArgs(fn: FunctionSpec, target: DeployTarget): string[] {
  const env = [
    `GOOGLE_CLOUD_PROJECT=${target.project}`,
    'TRIBUTARY_ENV=production',
    'LOG_LEVEL=info',
    // The api function gives producers the ingest URL with every new API key.
    ...(fn.name === 'api' ? [`INGEST_URL=${functionUrl('ingest', target)}`] : []),
  ];
  const secretRefs = fn.secrets.map(
    (variable) => `${variable}=${secrets[variable].secretId}:latest`,
  );
  return [
    'functions',
    'deploy',
    fn.name,
    '--gen2',
    `--region=${target.region}`,
    '--runtime=nodejs22',
    `--source=${target.sourceDir}`,
    `--entry-point=${fn.name}`,
    // Push-triggered functions are HTTP services reached by our own push subscriptions.
    '--trigger-http',
    fn.public ? '--allow-unauthenticated' : '--no-allow-unauthenticated',
    `--memory=${fn.memory}`,
    `--timeout=${fn.timeoutSeconds}s`,
    `--min-instances=${fn.minInstances}`,
    `--max-instances=${fn.maxInstances}`,
    `--concurrency=${fn.concurrency}`,
    '--cpu=1',
    `--service-account=${serviceAccountEmail(fn.serviceAccount, target.project)}`,
    `--set-env-vars=${env.join(',')}`,
    ...(secretRefs.length > 0 ? [`--set-secrets=${secretRefs.join(',')}`] : []),
  ];
}
