import firestoreIndexes from '../firestore.indexes.json' with { type: 'json' };
import {
  functions,
  schedules,
  secrets,
  serviceAccounts,
  subscriptions,
  topicList,
  warehouseTables,
  type FunctionSpec,
  type ServiceAccountName,
  type SubscriptionSpec,
} from './spec.ts';
import { deployRegions } from './regions.ts';

/** A thing the deploy creates or changes, named once. */
export type Resource = { type: ResourceType; name: string };

export type ResourceType =
  | 'apis'
  | 'firestore-database'
  | 'service-account'
  | 'binding'
  | 'secret'
  | 'topic'
  | 'subscription'
  | 'dataset'
  | 'table'
  | 'firestore-field'
  | 'firestore-index'
  | 'firestore-rules'
  | 'source'
  | 'function'
  | 'schedule';

/**
 * One step of a deploy. `gcloud` steps are commands run as printed (skipped when
 * `unlessExists` succeeds); `provision` steps are applied through the client libraries
 * (create if missing, update if different); `build` stages the functions' source.
 */
export type DeployStep =
  | {
      kind: 'gcloud';
      resource: Resource;
      args: string[];
      /** Skip when this describe command succeeds (the resource exists). */
      unlessExists?: string[];
      /** Run only when this describe command succeeds (for deletions). */
      onlyIfExists?: string[];
    }
  | { kind: 'provision'; resource: Resource; desired: Record<string, unknown> }
  | { kind: 'build'; resource: Resource; sourceDir: string };

export type DeployTarget = { project: string; region: string; sourceDir: string };

/** Placeholder the runner replaces with the project's number (needed for service agents). */
export const projectNumberPlaceholder = '${PROJECT_NUMBER}';

export class DeployConfigError extends Error {
  override readonly name = 'DeployConfigError';
}

const projectIdPattern = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

export function validateTarget(
  project: string | undefined,
  region: string | undefined,
): { project: string; region: string } {
  if (!project)
    throw new DeployConfigError(
      'Missing --project: name the Google Cloud project id to deploy to.',
    );
  if (!projectIdPattern.test(project)) {
    throw new DeployConfigError(
      `--project "${project}" is not a project id (6–30 lowercase letters, digits and dashes, starting with a letter).`,
    );
  }
  if (!region) throw new DeployConfigError('Missing --region: for example --region europe-west1.');
  if (!(deployRegions as readonly string[]).includes(region)) {
    throw new DeployConfigError(
      `--region "${region}" is not a region where every service Tributary uses is offered. Use one of: ${deployRegions.join(', ')}.`,
    );
  }
  return { project, region };
}

export const requiredApis = [
  'artifactregistry.googleapis.com',
  'bigquery.googleapis.com',
  'bigquerystorage.googleapis.com',
  'cloudbuild.googleapis.com',
  'cloudfunctions.googleapis.com',
  'cloudscheduler.googleapis.com',
  'firebaserules.googleapis.com',
  'firestore.googleapis.com',
  'iam.googleapis.com',
  'logging.googleapis.com',
  'pubsub.googleapis.com',
  'run.googleapis.com',
  'secretmanager.googleapis.com',
];

export function serviceAccountEmail(name: ServiceAccountName, project: string): string {
  return `${serviceAccounts[name].id}@${project}.iam.gserviceaccount.com`;
}

export function pubsubServiceAgent(): string {
  return `service-${projectNumberPlaceholder}@gcp-sa-pubsub.iam.gserviceaccount.com`;
}

/** The URL Pub/Sub pushes to, and the audience of its OIDC token. */
export function functionUrl(fn: string, target: { project: string; region: string }): string {
  return `https://${target.region}-${target.project}.cloudfunctions.net/${fn}`;
}

/** Every step of a deploy, in an order where each step finds what it needs already there. */
export function buildDeployPlan(target: DeployTarget): DeployStep[] {
  const { project, region } = target;
  const member = (name: ServiceAccountName) =>
    `serviceAccount:${serviceAccountEmail(name, project)}`;
  const steps: DeployStep[] = [];
  const gcloud = (resource: Resource, args: string[], unlessExists?: string[]) =>
    steps.push({ kind: 'gcloud', resource, args, ...(unlessExists ? { unlessExists } : {}) });
  const binding = (name: string, args: string[]) => gcloud({ type: 'binding', name }, args);

  gcloud({ type: 'apis', name: 'required APIs' }, ['services', 'enable', ...requiredApis]);
  gcloud(
    { type: 'firestore-database', name: '(default)' },
    ['firestore', 'databases', 'create', `--location=${region}`, '--type=firestore-native'],
    ['firestore', 'databases', 'describe', '--database=(default)'],
  );

  for (const [name, account] of Object.entries(serviceAccounts) as [
    ServiceAccountName,
    (typeof serviceAccounts)[ServiceAccountName],
  ][]) {
    gcloud(
      { type: 'service-account', name: account.id },
      [
        'iam',
        'service-accounts',
        'create',
        account.id,
        `--display-name=Tributary ${name}`,
        `--description=${account.purpose}`,
      ],
      ['iam', 'service-accounts', 'describe', serviceAccountEmail(name, project)],
    );
  }
  for (const { account, role } of projectRoles()) {
    binding(`${role} → ${serviceAccounts[account].id}`, [
      'projects',
      'add-iam-policy-binding',
      project,
      `--member=${member(account)}`,
      `--role=${role}`,
      '--condition=None',
    ]);
  }

  for (const [variable, secret] of Object.entries(secrets)) {
    gcloud(
      { type: 'secret', name: secret.secretId },
      [
        'secrets',
        'create',
        secret.secretId,
        '--replication-policy=automatic',
        `--data-file=${generatedSecretFile(variable)}`,
      ],
      ['secrets', 'describe', secret.secretId],
    );
    for (const account of accountsUsingSecret(variable)) {
      binding(`secretAccessor ${secret.secretId} → ${serviceAccounts[account].id}`, [
        'secrets',
        'add-iam-policy-binding',
        secret.secretId,
        `--member=${member(account)}`,
        '--role=roles/secretmanager.secretAccessor',
      ]);
    }
  }

  for (const topic of topicList()) {
    steps.push({
      kind: 'provision',
      resource: { type: 'topic', name: topic.name },
      desired: { name: topic.name },
    });
  }
  for (const topic of topicList()) {
    for (const account of accountsFor((fn) => fn.publishes.includes(topic.name))) {
      binding(`publisher ${topic.name} → ${serviceAccounts[account].id}`, [
        'pubsub',
        'topics',
        'add-iam-policy-binding',
        topic.name,
        `--member=${member(account)}`,
        '--role=roles/pubsub.publisher',
      ]);
    }
  }
  // Pub/Sub forwards to a dead-letter topic as its own service agent.
  for (const deadLetterTopic of new Set(
    subscriptions().flatMap((s) => (s.deadLetter ? [s.deadLetter.topic] : [])),
  )) {
    binding(`publisher ${deadLetterTopic} → Pub/Sub service agent`, [
      'pubsub',
      'topics',
      'add-iam-policy-binding',
      deadLetterTopic,
      `--member=serviceAccount:${pubsubServiceAgent()}`,
      '--role=roles/pubsub.publisher',
    ]);
  }

  const datasets = [...new Set(warehouseTables.map((table) => table.dataset))];
  for (const dataset of datasets) {
    steps.push({
      kind: 'provision',
      resource: { type: 'dataset', name: dataset },
      desired: {
        location: region,
        access: [
          ...accountsFor((fn) => fn.warehouse === 'write').map((a) => ({
            role: 'WRITER',
            userByEmail: serviceAccountEmail(a, project),
          })),
          ...accountsFor((fn) => fn.warehouse === 'read').map((a) => ({
            role: 'READER',
            userByEmail: serviceAccountEmail(a, project),
          })),
        ],
      },
    });
  }
  for (const table of warehouseTables) {
    steps.push({
      kind: 'provision',
      resource: { type: 'table', name: `${table.dataset}.${table.name}` },
      desired: {
        description: table.description,
        schema: table.columns,
        timePartitioning: { type: table.partition.type, field: table.partition.field },
        clustering: table.clustering,
      },
    });
  }

  for (const field of firestoreFieldSettings()) {
    gcloud({ type: 'firestore-field', name: `${field.collection}.${field.field}` }, field.args);
  }
  for (const index of firestoreCompositeIndexes()) {
    steps.push({
      kind: 'provision',
      resource: { type: 'firestore-index', name: index.name },
      desired: {
        collectionGroup: index.collectionGroup,
        queryScope: index.queryScope,
        fields: index.fields,
      },
    });
  }
  steps.push({
    kind: 'provision',
    resource: { type: 'firestore-rules', name: 'cloud.firestore' },
    desired: { source: 'firestore.rules' },
  });

  steps.push({
    kind: 'build',
    resource: { type: 'source', name: 'functions' },
    sourceDir: target.sourceDir,
  });
  for (const fn of functions)
    gcloud({ type: 'function', name: fn.name }, deployFunctionArgs(fn, target));
  for (const fn of functions.filter((f) => f.trigger === 'pubsub-push')) {
    binding(`run.invoker ${fn.name} → ${serviceAccounts.pushInvoker.id}`, [
      'functions',
      'add-invoker-policy-binding',
      fn.name,
      `--region=${region}`,
      `--member=${member('pushInvoker')}`,
    ]);
  }
  // Pub/Sub mints the push subscriptions' OIDC tokens as the push invoker.
  binding(`tokenCreator ${serviceAccounts.pushInvoker.id} → Pub/Sub service agent`, [
    'iam',
    'service-accounts',
    'add-iam-policy-binding',
    serviceAccountEmail('pushInvoker', project),
    `--member=serviceAccount:${pubsubServiceAgent()}`,
    '--role=roles/iam.serviceAccountTokenCreator',
  ]);

  for (const subscription of subscriptions('cloud')) {
    steps.push({
      kind: 'provision',
      resource: { type: 'subscription', name: subscription.name },
      desired: subscriptionSummary(subscription, target),
    });
  }
  for (const subscription of subscriptions('cloud')) {
    for (const account of accountsFor((fn) => fn.pulls.includes(subscription.name))) {
      binding(`subscriber ${subscription.name} → ${serviceAccounts[account].id}`, [
        'pubsub',
        'subscriptions',
        'add-iam-policy-binding',
        subscription.name,
        `--member=${member(account)}`,
        '--role=roles/pubsub.subscriber',
      ]);
    }
    if (subscription.deadLetter) {
      // Pub/Sub must be able to acknowledge what it forwards to the dead-letter topic.
      binding(`subscriber ${subscription.name} → Pub/Sub service agent`, [
        'pubsub',
        'subscriptions',
        'add-iam-policy-binding',
        subscription.name,
        `--member=serviceAccount:${pubsubServiceAgent()}`,
        '--role=roles/pubsub.subscriber',
      ]);
    }
  }

  for (const schedule of schedules) {
    steps.push({
      kind: 'provision',
      resource: { type: 'schedule', name: schedule.name },
      desired: {
        schedule: schedule.cron,
        timeZone: schedule.timeZone,
        topic: schedule.topic,
        data: schedule.data,
        location: region,
      },
    });
  }
  return steps;
}

/** Project-wide roles: only those that cannot be granted on a single resource. */
export function projectRoles(): { account: ServiceAccountName; role: string }[] {
  const roles: { account: ServiceAccountName; role: string }[] = [];
  const add = (account: ServiceAccountName, role: string) => {
    if (!roles.some((r) => r.account === account && r.role === role)) roles.push({ account, role });
  };
  for (const fn of functions) {
    add(fn.serviceAccount, 'roles/datastore.user');
    if (fn.warehouse) add(fn.serviceAccount, 'roles/bigquery.jobUser');
  }
  return roles;
}

function accountsFor(uses: (fn: FunctionSpec) => boolean): ServiceAccountName[] {
  return [...new Set(functions.filter(uses).map((fn) => fn.serviceAccount))];
}

function accountsUsingSecret(variable: string): ServiceAccountName[] {
  return accountsFor((fn) => (fn.secrets as string[]).includes(variable));
}

export function generatedSecretFile(variable: string): string {
  return `.tributary/deploy/secrets/${variable}`;
}

function deployFunctionArgs(fn: FunctionSpec, target: DeployTarget): string[] {
  const env = [
    `GOOGLE_CLOUD_PROJECT=${target.project}`,
    'TRIBUTARY_ENV=production',
    'LOG_LEVEL=info',
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

function subscriptionSummary(
  subscription: SubscriptionSpec,
  target: { project: string; region: string },
): Record<string, unknown> {
  return {
    topic: subscription.topic,
    ackDeadlineSeconds: subscription.ackDeadlineSeconds,
    ...(subscription.pushTo
      ? {
          pushEndpoint: functionUrl(subscription.pushTo, target),
          oidcServiceAccount: serviceAccountEmail('pushInvoker', target.project),
        }
      : { delivery: 'pull' }),
    ...(subscription.retry ? { retry: subscription.retry } : {}),
    ...(subscription.deadLetter ? { deadLetter: subscription.deadLetter } : {}),
  };
}

export type CompositeIndex = {
  name: string;
  collectionGroup: string;
  /** COLLECTION, or COLLECTION_GROUP for queries across every parent (deliveries). */
  queryScope: 'COLLECTION' | 'COLLECTION_GROUP';
  fields: { fieldPath: string; order: 'ASCENDING' | 'DESCENDING' }[];
};

/** The composite indexes of firestore.indexes.json, each named by its fields. */
export function firestoreCompositeIndexes(
  indexes: {
    collectionGroup: string;
    queryScope?: string;
    fields: { fieldPath: string; order: string }[];
  }[] = firestoreIndexes.indexes,
): CompositeIndex[] {
  return indexes.map((index) => {
    const fields = index.fields.map((f) => ({
      fieldPath: f.fieldPath,
      order: f.order === 'DESCENDING' ? ('DESCENDING' as const) : ('ASCENDING' as const),
    }));
    const described = fields.map(
      (f) => `${f.fieldPath} ${f.order === 'ASCENDING' ? 'asc' : 'desc'}`,
    );
    const queryScope =
      index.queryScope === 'COLLECTION_GROUP'
        ? ('COLLECTION_GROUP' as const)
        : ('COLLECTION' as const);
    return {
      name: `${index.collectionGroup}(${described.join(', ')})${queryScope === 'COLLECTION_GROUP' ? ' across parents' : ''}`,
      collectionGroup: index.collectionGroup,
      queryScope,
      fields,
    };
  });
}

type FieldOverride = {
  collectionGroup: string;
  fieldPath: string;
  ttl?: boolean;
  indexes: unknown[];
};

/** Firestore field settings from firestore.indexes.json, as gcloud commands. */
export function firestoreFieldSettings(
  overrides: FieldOverride[] = firestoreIndexes.fieldOverrides,
): { collection: string; field: string; args: string[] }[] {
  return overrides.flatMap((override) => {
    const base = { collection: override.collectionGroup, field: override.fieldPath };
    const settings = [];
    if (override.indexes.length === 0) {
      settings.push({
        ...base,
        args: [
          'firestore',
          'indexes',
          'fields',
          'update',
          override.fieldPath,
          `--collection-group=${override.collectionGroup}`,
          '--disable-indexes',
        ],
      });
    }
    if (override.ttl) {
      settings.push({
        ...base,
        field: `${override.fieldPath} (ttl)`,
        args: [
          'firestore',
          'fields',
          'ttls',
          'update',
          override.fieldPath,
          `--collection-group=${override.collectionGroup}`,
          '--enable-ttl',
        ],
      });
    }
    return settings;
  });
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
    for (const dataset of new Set(warehouseTables.map((table) => table.dataset))) {
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
