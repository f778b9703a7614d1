import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PubSub } from '@google-cloud/pubsub';
import { serviceAccountEmail } from '../../infra/deploy/principals.ts';
import { buildDeployPlan } from '../../infra/deployPlan.ts';
import { pubsubProvisioners } from '../../infra/provisioner.ts';
import { emulatorPubSub, uniqueProjectId } from '../support/pipeline.ts';

/** The provisioning part of a real deploy, applied to the emulator instead of a project. */
describe('provisioning the deploy plan', () => {
  const project = uniqueProjectId('provision');
  let pubsub: PubSub;

  beforeAll(() => {
    pubsub = emulatorPubSub(project);
  });
  afterAll(async () => {
    await pubsub.close();
  });

  async function applyOnce(): Promise<string[]> {
    const provisioners = pubsubProvisioners(pubsub, {
      // Loopback endpoints: the emulator must never try to reach the internet.
      pushEndpoint: (fn) => `http://127.0.0.1:9/${fn}`,
      pushAuth: (fn) => ({
        serviceAccountEmail: serviceAccountEmail('pushInvoker', project),
        audience: `https://example.invalid/${fn}`,
      }),
    });
    const outcomes: string[] = [];
    for (const step of buildDeployPlan({ project, region: 'europe-west1', sourceDir: 'x' })) {
      if (step.kind !== 'provision') continue;
      const provisioner = provisioners[step.resource.type];
      if (provisioner)
        outcomes.push(`${step.resource.type}/${step.resource.name}:${await provisioner(step)}`);
    }
    return outcomes;
  }

  async function snapshot(): Promise<unknown> {
    const [topics] = await pubsub.getTopics();
    const [subscriptions] = await pubsub.getSubscriptions();
    const metadata = await Promise.all(subscriptions.map(async (s) => (await s.getMetadata())[0]));
    return {
      topics: topics.map((t) => t.name).sort(),
      subscriptions: metadata.sort((a, b) => String(a.name).localeCompare(String(b.name))),
    };
  }

  it('creates everything the first time, and the second time changes nothing', async () => {
    const first = await applyOnce();
    expect(first.length).toBeGreaterThan(0);
    expect(first.every((outcome) => outcome.endsWith(':created'))).toBe(true);
    const afterFirst = await snapshot();

    const second = await applyOnce();
    expect(second.map((outcome) => outcome.replace(/:.*/, ''))).toEqual(
      first.map((outcome) => outcome.replace(/:.*/, '')),
    );
    expect(second.every((outcome) => outcome.endsWith(':unchanged'))).toBe(true);
    expect(await snapshot()).toEqual(afterFirst);
  });

  it('puts the OIDC identity on every push subscription', async () => {
    const [subscriptions] = await pubsub.getSubscriptions();
    const push = (
      await Promise.all(subscriptions.map(async (s) => (await s.getMetadata())[0]))
    ).filter((m) => m.pushConfig?.pushEndpoint);
    expect(push.length).toBeGreaterThan(0);
    for (const metadata of push) {
      expect(metadata.pushConfig?.oidcToken?.serviceAccountEmail).toBe(
        serviceAccountEmail('pushInvoker', project),
      );
    }
  });
});
