/** The gcloud commands of the deploy and the destroy plans, as the deploy runs them. */
import firestoreIndexes from '../../firestore.indexes.json' with { type: 'json' };
import type { DeployStep } from '../../infra/deploy/deployStep.ts';
import { gcloudArgv, projectNumberQuery } from '../../infra/deploy/gcloudCommand.ts';
import { serviceAccountEmail, withProjectNumber } from '../../infra/deploy/principals.ts';
import { buildDeployPlan, buildDestroyPlan } from '../../infra/deployPlan.ts';
import {
  functions,
  schedules,
  secrets,
  serviceAccounts,
  subscriptions,
  topicList,
  type ServiceAccountName,
} from '../../infra/spec.ts';

export const target = {
  project: 'sample-project',
  region: 'us-central1',
  sourceDir: '.tributary/deploy/source',
};
export const projectNumber = '123456789012';
export const plans = {
  deploy: { flags: [], steps: buildDeployPlan(target) },
  destroy: {
    flags: ['--destroy', '--include-data'],
    steps: buildDestroyPlan(target, { includeData: true }),
  },
} satisfies Record<string, { flags: string[]; steps: DeployStep[] }>;

export type Command = { label: string; argv: string[] };

/** The argv the deploy hands gcloud for a step's arguments, the project's number known. */
export function asRun(args: readonly string[]): string[] {
  return gcloudArgv(
    args.map((arg) => withProjectNumber(arg, projectNumber)),
    target.project,
  );
}

/** Every gcloud command a deploy or a destroy may run, existence checks included. */
export function plannedCommands(): Command[] {
  const commands: Command[] = [
    { label: 'the project number query', argv: asRun(projectNumberQuery(target.project)) },
  ];
  for (const [plan, { steps }] of Object.entries(plans)) {
    for (const [index, step] of steps.entries()) {
      if (step.kind !== 'gcloud') continue;
      const label = `${plan} step ${index + 1} (${step.resource.type} ${step.resource.name})`;
      commands.push({ label, argv: asRun(step.args) });
      const check = step.unlessExists ?? step.onlyIfExists;
      if (check) commands.push({ label: `${label}, its existence check`, argv: asRun(check) });
    }
  }
  return commands;
}

/** The names of our resources: topics, subscriptions, functions, jobs, secrets, accounts, fields. */
const resourceNames = new Set<string>([
  ...topicList().map((topic) => topic.name),
  ...subscriptions('cloud').map((subscription) => subscription.name),
  ...functions.map((fn) => fn.name),
  ...schedules.map((schedule) => schedule.name),
  ...Object.values(secrets).map((secret) => secret.secretId),
  ...(Object.keys(serviceAccounts) as ServiceAccountName[]).map((name) =>
    serviceAccountEmail(name, target.project),
  ),
  ...firestoreIndexes.fieldOverrides.map((override) => override.fieldPath),
]);

/**
 * Commands that differ only in which of our resources they act on (the operand before
 * the first flag) have one shape, and gcloud parses them alike: one stands for all.
 * Every other difference, a flag or a value, makes a command distinct. (Of the operands,
 * gcloud checks only function names before it needs an account, and each function has
 * its own distinct deploy command.)
 */
function shapeOf(argv: readonly string[]): string {
  const firstFlag = argv.findIndex((arg) => arg.startsWith('-'));
  const operand = (firstFlag === -1 ? argv.length : firstFlag) - 1;
  return argv
    .map((arg, index) => (index === operand && resourceNames.has(arg) ? '<resource>' : arg))
    .join('\u0000');
}

export function distinctShapes(commands: Command[]): Command[] {
  const byShape = new Map<string, Command>();
  for (const command of commands) {
    const shape = shapeOf(command.argv);
    if (!byShape.has(shape)) byShape.set(shape, command);
  }
  return [...byShape.values()];
}
