/**
 * `npm run deploy -- --project P --region R [--plan]`: deploys Tributary to a Google
 * Cloud project from the pipeline spec. `--plan` prints every step and touches nothing.
 * `--destroy [--include-data] [--yes]` removes what the deploy created.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import type { DeployStep } from '../infra/deploy/deployStep.ts';
import { functionUrl, pushEndpointUrl } from '../infra/deploy/functionSteps.ts';
import { gcloudArgv, projectNumberQuery, shellLine } from '../infra/deploy/gcloudCommand.ts';
import {
  projectNumberPlaceholder,
  serviceAccountEmail,
  withProjectNumber,
} from '../infra/deploy/principals.ts';
import { generatedSecretFile } from '../infra/deploy/secretSteps.ts';
import { DeployConfigError, validateTarget } from '../infra/deploy/validateTarget.ts';
import { buildDeployPlan, buildDestroyPlan } from '../infra/deployPlan.ts';
import type { FirestoreIndexAdmin, Provisioners } from '../infra/provisioner.ts';
import { secrets } from '../infra/spec.ts';
import { projectRoot } from './lib/localStack.ts';

const { values } = parseArgs({
  options: {
    project: { type: 'string' },
    region: { type: 'string' },
    plan: { type: 'boolean', default: false },
    destroy: { type: 'boolean', default: false },
    'include-data': { type: 'boolean', default: false },
    yes: { type: 'boolean', default: false },
  },
});

let target: { project: string; region: string };
try {
  target = validateTarget(values.project, values.region);
} catch (error) {
  if (!(error instanceof DeployConfigError)) throw error;
  console.error(
    `${error.message}\nUsage: npm run deploy -- --project PROJECT_ID --region REGION [--plan | --destroy [--include-data] [--yes]]`,
  );
  process.exit(2);
}

const sourceDir = '.tributary/deploy/source';
const steps = values.destroy
  ? buildDestroyPlan(target, { includeData: values['include-data'] })
  : buildDeployPlan({ ...target, sourceDir });

if (values.plan) {
  console.log(
    `${values.destroy ? 'Destroy' : 'Deploy'} plan for project ${target.project} in ${target.region}: ${steps.length} steps`,
  );
  console.log(
    `${projectNumberPlaceholder} is the project's number: gcloud ${shellLine(gcloudArgv(projectNumberQuery(target.project), target.project))}\n`,
  );
  for (const [index, step] of steps.entries())
    console.log(`${String(index + 1).padStart(3)}. ${describeStep(step, target.project)}`);
  process.exit(0);
}

if (values.destroy && !(await confirmDestroy(target.project, values.yes))) {
  console.error('Nothing was removed.');
  process.exit(1);
}

const projectNumber = gcloudOutput(projectNumberQuery(target.project), target.project);
if (!projectNumber) {
  console.error(
    `Could not read project ${target.project}. Is gcloud logged in (gcloud auth login) with access to it?`,
  );
  process.exit(1);
}
const provisioners =
  values.destroy || steps.some((s) => s.kind === 'provision') ? await cloudProvisioners() : {};

for (const [index, step] of steps.entries()) {
  const label = `${String(index + 1).padStart(3)}/${steps.length} ${step.resource.type} ${step.resource.name}`;
  const outcome = await runStep(step);
  console.log(`${label}: ${outcome}`);
}
await rm(join(projectRoot, '.tributary/deploy/secrets'), { recursive: true, force: true });
console.log(
  values.destroy
    ? '\nRemoved.'
    : `\nDeployed. Ingest: ${functionUrl('ingest', target)}/v1/events  API: ${functionUrl('api', target)}`,
);

// oxlint-disable-next-line typescript/consistent-return -- the switch is exhaustive
async function runStep(step: DeployStep): Promise<string> {
  switch (step.kind) {
    case 'gcloud': {
      const args = step.args.map(substitute);
      if (step.unlessExists && gcloudSucceeds(step.unlessExists.map(substitute))) return 'exists';
      if (step.onlyIfExists && !gcloudSucceeds(step.onlyIfExists.map(substitute))) return 'absent';
      await prepareSecretFile(args);
      runGcloud(args);
      return 'done';
    }
    case 'build':
      await stageSource(step.sourceDir);
      return 'staged';
    case 'provision': {
      const provisioner = provisioners[step.resource.type];
      if (!provisioner) throw new Error(`no provisioner for ${step.resource.type}`);
      return provisioner({
        ...step,
        desired: JSON.parse(substitute(JSON.stringify(step.desired))) as Record<string, unknown>,
      });
    }
  }
}

function substitute(text: string): string {
  return withProjectNumber(text, projectNumber);
}

async function cloudProvisioners(): Promise<Provisioners> {
  const [
    { PubSub },
    { BigQuery },
    { CloudSchedulerClient },
    { GoogleAuth },
    { v1: firestoreApi },
    provisioner,
  ] = await Promise.all([
    import('@google-cloud/pubsub'),
    import('@google-cloud/bigquery'),
    import('@google-cloud/scheduler'),
    import('google-auth-library'),
    import('@google-cloud/firestore'),
    import('../infra/provisioner.ts'),
  ]);
  const pubsub = new PubSub({ projectId: target.project });
  return {
    ...provisioner.pubsubProvisioners(pubsub, {
      pushEndpoint: (fn, subscription) =>
        pushEndpointUrl({ pushTo: fn, topic: subscription.topic }, target),
      pushAuth: (fn) => ({
        serviceAccountEmail: serviceAccountEmail('pushInvoker', target.project),
        audience: functionUrl(fn, target),
      }),
    }),
    ...provisioner.bigqueryProvisioners(new BigQuery({ projectId: target.project })),
    ...provisioner.schedulerProvisioners(new CloudSchedulerClient(), target),
    ...provisioner.firestoreIndexProvisioners(
      new firestoreApi.FirestoreAdminClient() as unknown as FirestoreIndexAdmin,
      target.project,
    ),
    ...provisioner.rulesProvisioners(
      new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] }),
      target.project,
      join(projectRoot, 'firestore.rules'),
    ),
  };
}

/** Secrets get a random first version, written to a private file only for the create command. */
async function prepareSecretFile(args: string[]): Promise<void> {
  for (const [variable, secret] of Object.entries(secrets)) {
    if (!args.includes(`--data-file=${generatedSecretFile(variable)}`)) continue;
    const file = join(projectRoot, generatedSecretFile(variable));
    await mkdir(dirname(file), { recursive: true });
    const value =
      secret.generate === 'token'
        ? randomBytes(32).toString('base64url')
        : randomBytes(32).toString('base64');
    await writeFile(file, value, { mode: 0o600 });
  }
}

/** The functions' source as Cloud Functions builds it: compiled code and the runtime dependencies only. */
async function stageSource(dir: string): Promise<void> {
  const run = spawnSync('npm', ['run', 'build'], { cwd: projectRoot, stdio: 'inherit' });
  if (run.status !== 0) throw new Error('npm run build failed');
  const out = join(projectRoot, dir);
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  await cp(join(projectRoot, 'dist'), join(out, 'dist'), { recursive: true });
  const root = JSON.parse(await readFile(join(projectRoot, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
    main: string;
    dependencies: Record<string, string>;
  };
  const manifest = {
    name: root.name,
    version: root.version,
    private: true,
    type: 'module',
    main: root.main,
    engines: { node: '22' },
    dependencies: root.dependencies,
  };
  await writeFile(join(out, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

function runGcloud(args: string[]): void {
  const result = spawnSync('gcloud', gcloudArgv(args, target.project), { stdio: 'inherit' });
  if (result.status !== 0)
    throw new Error(`gcloud ${args.slice(0, 4).join(' ')} failed (exit ${result.status})`);
}

function gcloudSucceeds(args: string[]): boolean {
  return spawnSync('gcloud', gcloudArgv(args, target.project), { stdio: 'ignore' }).status === 0;
}

function gcloudOutput(args: string[], project: string): string {
  const result = spawnSync('gcloud', gcloudArgv(args, project), { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : '';
}

async function confirmDestroy(project: string, yes: boolean): Promise<boolean> {
  if (yes) return true;
  if (!process.stdin.isTTY) {
    console.error('--destroy needs confirmation: run it in a terminal, or add --yes.');
    return false;
  }
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  const answer = await prompt.question(
    `This removes Tributary from ${project}. Type the project id to confirm: `,
  );
  prompt.close();
  return answer.trim() === project;
}

// oxlint-disable-next-line typescript/consistent-return -- the switch is exhaustive
export function describeStep(step: DeployStep, project: string): string {
  switch (step.kind) {
    case 'gcloud':
      return `gcloud ${shellLine(gcloudArgv(step.args, project))}${step.unlessExists ? '   (skipped if it exists)' : ''}${step.onlyIfExists ? '   (if it exists)' : ''}`;
    case 'build':
      return `build: npm run build, stage dist/ and the runtime dependencies in ${step.sourceDir}`;
    case 'provision':
      return `provision ${step.resource.type} ${step.resource.name}: ${JSON.stringify(step.desired)}`;
  }
}
