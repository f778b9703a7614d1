import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import * as functionsFramework from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { outsideRequestDomain } from './requestDomain.ts';

const servers: ReturnType<typeof getTestServer>[] = [];

afterAll(async () => {
  await Promise.all(
    servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
  );
});

async function serve(register: (name: string) => void): Promise<string> {
  const name = `domain-probe-${randomUUID()}`;
  register(name);
  const server = getTestServer(name);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function activeDomain(): unknown {
  return (process as NodeJS.Process & { domain?: unknown }).domain ?? null;
}

async function reportDomain(_req: unknown, res: { json(body: unknown): void }): Promise<void> {
  const atStart = activeDomain() !== null;
  await new Promise((resolve) => setTimeout(resolve, 1));
  res.json({ atStart, afterAwait: activeDomain() !== null });
}

async function domainSeenBy(wrap: boolean): Promise<{ atStart: boolean; afterAwait: boolean }> {
  const url = await serve((name) =>
    functionsFramework.http(name, wrap ? outsideRequestDomain(reportDomain) : reportDomain),
  );
  return (await (await fetch(url)).json()) as { atStart: boolean; afterAwait: boolean };
}

function cloudEventHeaders(): Record<string, string> {
  return {
    'content-type': 'application/json',
    'ce-id': randomUUID(),
    'ce-type': 'google.cloud.pubsub.topic.v1.messagePublished',
    'ce-source': '//pubsub.googleapis.com/projects/p/topics/t',
    'ce-specversion': '1.0',
  };
}

describe('outsideRequestDomain', () => {
  it('runs the handler, and what it awaits, outside the framework’s request domain', async () => {
    // The framework's own wrapping: the domain is active in a bare handler.
    expect(await domainSeenBy(false)).toEqual({ atStart: true, afterAwait: true });
    expect(await domainSeenBy(true)).toEqual({ atStart: false, afterAwait: false });
  });

  it('still answers 500 when an HTTP handler throws synchronously, and keeps serving', async () => {
    let calls = 0;
    const url = await serve((name) =>
      functionsFramework.http(
        name,
        outsideRequestDomain((_req, res) => {
          calls += 1;
          if (calls === 1) throw new Error('boom');
          res.status(204).end();
        }),
      ),
    );
    expect((await fetch(url)).status).toBe(500);
    expect((await fetch(url)).status).toBe(204);
  });

  it('answers a push with an error when a CloudEvent handler rejects, so Pub/Sub redelivers', async () => {
    const outcomes = ['fail', 'succeed'];
    const url = await serve((name) =>
      functionsFramework.cloudEvent(
        name,
        outsideRequestDomain(async () => {
          await Promise.resolve();
          if (outcomes.shift() === 'fail') throw new Error('retry me');
        }),
      ),
    );
    const push = () =>
      fetch(url, { method: 'POST', headers: cloudEventHeaders(), body: '{"message":{}}' });
    expect((await push()).status).toBe(500);
    expect((await push()).status).toBe(204);
  });
});
