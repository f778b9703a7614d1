import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { DeployStep } from './deploy/deployStep.ts';
import { DeployConfigError, validateTarget } from './deploy/validateTarget.ts';
import { buildDeployPlan, buildDestroyPlan } from './deployPlan.ts';
import {
  functions,
  schedules,
  secrets,
  serviceAccounts,
  subscriptions,
  topicList,
  warehouseTables,
} from './spec.ts';

const target = {
  project: 'sample-project',
  region: 'europe-west1',
  sourceDir: '.tributary/deploy/source',
};
const plan = buildDeployPlan(target);
const key = (step: DeployStep) => `${step.resource.type}:${step.resource.name}`;
const indexOf = (type: string, name: string) =>
  plan.findIndex((step) => key(step) === `${type}:${name}`);
const bindingIndexes = (predicate: (args: string) => boolean) =>
  plan.flatMap((step, index) =>
    step.resource.type === 'binding' && step.kind === 'gcloud' && predicate(step.args.join(' '))
      ? [index]
      : [],
  );

describe('deploy plan for a sample project', () => {
  it('names every resource once', () => {
    const keys = plan.map(key);
    expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);
  });

  it.each([
    ['topic', topicList().map((t) => t.name)],
    ['subscription', subscriptions('cloud').map((s) => s.name)],
    ['function', functions.map((f) => f.name)],
    ['schedule', schedules.map((s) => s.name)],
    ['table', warehouseTables.map((t) => `${t.dataset}.${t.name}`)],
    ['service-account', Object.values(serviceAccounts).map((a) => a.id)],
    ['secret', Object.values(secrets).map((s) => s.secretId)],
  ])('declares every %s of the spec exactly once', (type, names) => {
    const planned = plan
      .filter((step) => step.resource.type === type)
      .map((step) => step.resource.name);
    expect(planned.sort()).toEqual([...names].sort());
  });

  it('grants each function identity what it uses and nothing on topics it does not use', () => {
    for (const topic of topicList()) {
      const publishers = new Set(
        functions
          .filter((f) => f.publishes.includes(topic.name))
          .map((f) => serviceAccounts[f.serviceAccount].id),
      );
      const granted = bindingIndexes(
        (args) =>
          args.includes(`topics add-iam-policy-binding ${topic.name} `) &&
          args.includes('tributary-'),
      );
      expect(granted).toHaveLength(publishers.size);
    }
  });

  it('lets the push invoker call every push-triggered function, and only those', () => {
    const invokers = plan.filter(
      (step) => step.kind === 'gcloud' && step.args.includes('add-invoker-policy-binding'),
    );
    const pushFunctions = functions.filter((f) => f.trigger === 'pubsub-push').map((f) => f.name);
    const invoked = invokers.map((step) => (step.kind === 'gcloud' ? (step.args[2] ?? '') : ''));
    expect(invoked.sort((a, b) => a.localeCompare(b))).toEqual(
      pushFunctions.sort((a, b) => a.localeCompare(b)),
    );
  });

  it('lets the Pub/Sub service agent publish to every dead-letter topic and ack every dead-lettering subscription', () => {
    for (const subscription of subscriptions('cloud').filter((s) => s.deadLetter)) {
      expect(
        bindingIndexes(
          (a) =>
            a.includes(`topics add-iam-policy-binding ${subscription.deadLetter!.topic} `) &&
            a.includes('gcp-sa-pubsub'),
        ),
      ).toHaveLength(1);
      expect(
        bindingIndexes(
          (a) =>
            a.includes(`subscriptions add-iam-policy-binding ${subscription.name} `) &&
            a.includes('gcp-sa-pubsub'),
        ),
      ).toHaveLength(1);
    }
  });

  it('orders every step after what it needs', () => {
    expect(plan[0]?.resource.type).toBe('apis');
    for (const subscription of subscriptions('cloud')) {
      expect(indexOf('topic', subscription.topic)).toBeLessThan(
        indexOf('subscription', subscription.name),
      );
    }
    for (const subscription of subscriptions('cloud').filter((s) => s.pushTo)) {
      expect(indexOf('function', subscription.pushTo!)).toBeLessThan(
        indexOf('subscription', subscription.name),
      );
    }
    const build = plan.findIndex((step) => step.kind === 'build');
    for (const fn of functions) {
      const deployed = indexOf('function', fn.name);
      expect(build).toBeLessThan(deployed);
      expect(indexOf('service-account', serviceAccounts[fn.serviceAccount].id)).toBeLessThan(
        deployed,
      );
      for (const secret of fn.secrets)
        expect(indexOf('secret', secrets[secret].secretId)).toBeLessThan(deployed);
    }
    for (const schedule of schedules)
      expect(indexOf('topic', schedule.topic)).toBeLessThan(indexOf('schedule', schedule.name));
    const firstBinding = plan.findIndex((step) => step.resource.type === 'binding');
    const lastAccount = Math.max(
      ...Object.values(serviceAccounts).map((a) => indexOf('service-account', a.id)),
    );
    expect(lastAccount).toBeLessThan(firstBinding);
  });

  it('deploys push-triggered functions private and the public APIs open (they check their own credentials)', () => {
    for (const fn of functions) {
      const step = plan[indexOf('function', fn.name)];
      const args = step?.kind === 'gcloud' ? step.args : [];
      expect(args).toContain(fn.public ? '--allow-unauthenticated' : '--no-allow-unauthenticated');
      expect(args).toContain('--runtime=nodejs22');
      expect(args).toContain(
        `--service-account=${serviceAccounts[fn.serviceAccount].id}@sample-project.iam.gserviceaccount.com`,
      );
    }
  });

  it('makes every create idempotent: creates are skipped when the resource exists', () => {
    const creates = plan.filter((step) => step.kind === 'gcloud' && step.args.includes('create'));
    expect(creates.length).toBeGreaterThan(0);
    for (const step of creates) expect(step.kind === 'gcloud' && step.unlessExists).toBeTruthy();
  });
});

describe('destroy plan', () => {
  it('removes only what exists, scheduler jobs and subscriptions before functions and topics, data only on request', () => {
    const steps = buildDestroyPlan(target, { includeData: false });
    expect(steps.every((step) => step.kind === 'gcloud' && step.onlyIfExists)).toBe(true);
    const order = steps.map((step) => step.resource.type);
    expect(order.lastIndexOf('subscription')).toBeLessThan(order.indexOf('function'));
    expect(order.lastIndexOf('function')).toBeLessThan(order.indexOf('topic'));
    expect(order).not.toContain('firestore-database');
    expect(buildDestroyPlan(target, { includeData: true }).map((s) => s.resource.type)).toContain(
      'firestore-database',
    );
  });
});

describe('deploy target', () => {
  it.each([
    [undefined, 'europe-west1', /Missing --project/],
    ['Bad_Project', 'europe-west1', /--project "Bad_Project" is not a project id/],
    ['sample-project', undefined, /Missing --region/],
    ['sample-project', 'mars-north1', /--region "mars-north1" is not a region/],
  ])('refuses project %s in region %s with a clear message', (project, region, message) => {
    expect(() => validateTarget(project, region)).toThrow(DeployConfigError);
    expect(() => validateTarget(project, region)).toThrow(message);
  });
});

describe('cloudbuild.yaml', () => {
  const build = parse(readFileSync('cloudbuild.yaml', 'utf8')) as {
    steps: { id: string; entrypoint: string; args: string[] }[];
  };
  // The README and the pages it links to.
  const readme = ['README.md', ...readdirSync('docs').map((name) => `docs/${name}`)]
    .filter((file) => file.endsWith('.md'))
    .map((file) => readFileSync(file, 'utf8'))
    .join('\n');
  const scripts = Object.keys(
    (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> })
      .scripts,
  );

  it('parses, and runs the tests, then the deploy', () => {
    expect(build.steps.map((step) => step.id)).toEqual(['test', 'deploy']);
  });

  it('runs the tests as CI does: .ci/run, and nothing else after installing npm', () => {
    const test = build.steps.find((step) => step.id === 'test')!;
    expect(test.args.join(' ')).toMatch(/&& bash \.ci\/run$/);
    expect(test.args.join(' ')).not.toMatch(/npm (test|run)/);
  });

  it('.ci/run installs what the tests need and runs the README’s test command', () => {
    const ci = readFileSync('.ci/run', 'utf8');
    expect(ci).toContain('apt-get install -y -qq chromium');
    expect(ci).toContain('apt-get install -y -qq default-jre-headless');
    expect(ci).toMatch(/^timed "npm install" npm install/m);
    expect(ci).toMatch(/^timed "npm test" npm test$/m);
    expect(readFileSync('README.md', 'utf8')).toContain('npm install && npm test');
  });

  it('runs only npm scripts that exist and that the README or its pages name', () => {
    const commands = build.steps.flatMap(
      (step) =>
        [step.entrypoint, ...step.args].join(' ').match(/npm (?:run \S+|test|install)/g) ?? [],
    );
    expect(commands).toContain('npm run deploy');
    for (const command of commands) {
      expect(readme).toContain(command);
    }
    const scriptNames = commands
      .map((c) => c.replace(/^npm (run )?/, ''))
      .filter((s) => s !== 'install');
    for (const script of scriptNames) {
      expect(scripts).toContain(script);
    }
  });
});

describe("the README's scaling table", () => {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('## How far it scales in the cloud'));
  const rows = [...section.matchAll(/^\| (`[^|]+`) +\| +(\d+) \| +(\d+) \|/gm)].flatMap(
    ([, names = '', concurrency, maxInstances]) =>
      [...names.matchAll(/`(\w+)`/g)].map(([, name]) => ({
        name: name ?? '',
        concurrency: Number(concurrency),
        maxInstances: Number(maxInstances),
      })),
  );

  it('names ingest and every push-triggered function with the concurrency and instances the spec deploys', () => {
    const pushed = functions
      .filter((fn) => fn.trigger === 'pubsub-push' || fn.name === 'ingest')
      .map((fn) => ({ name: fn.name, concurrency: fn.concurrency, maxInstances: fn.maxInstances }));
    expect(rows.toSorted((a, b) => a.name.localeCompare(b.name))).toEqual(
      pushed.toSorted((a, b) => a.name.localeCompare(b.name)),
    );
  });
});
