import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import * as functionsFramework from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installFrameworkHooks, outsideRequestDomain } from './frameworkAdapter.ts';
import { multipartContentType, setAsideMultipartBody } from './streamingUploads.ts';

/**
 * The contract between Tributary and the functions framework: what `frameworkAdapter.ts`
 * relies on, checked against the framework as installed. A framework upgrade that
 * changes one of these fails here.
 */

/** What the probe's hook saw of the request before the framework's parsers ran. */
const seenBeforeParsers: { url: string; body: unknown; rawBody: unknown }[] = [];

beforeAll(() => {
  installFrameworkHooks([
    (req, _res, next) => {
      seenBeforeParsers.push({
        url: req.url,
        body: (req as { body?: unknown }).body,
        rawBody: (req as { rawBody?: unknown }).rawBody,
      });
      next();
    },
    setAsideMultipartBody,
  ]);
});

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

describe('the request domain', () => {
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

describe('hooks before the framework’s body parsers', () => {
  let url: string;

  beforeAll(async () => {
    url = await serve((name) =>
      functionsFramework.http(name, async (req, res) => {
        let streamed = 0;
        for await (const chunk of req) streamed += (chunk as Buffer).length;
        res.json({
          bufferedByFramework: req.rawBody?.length ?? 0,
          streamed,
          type: multipartContentType(req) ?? null,
          body: typeof req.body === 'object' && req.body !== null ? req.body : null,
        });
      }),
    );
  });

  it('run on every request before the framework has read its body', async () => {
    seenBeforeParsers.length = 0;
    await fetch(`${url}/probe?x=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(seenBeforeParsers).toEqual([{ url: '/probe?x=1', body: undefined, rawBody: undefined }]);
  });

  it('leave a multipart body unread for the handler to stream', async () => {
    const form = new FormData();
    form.append('file', new Blob(['x'.repeat(100_000)]), 'a.csv');
    const response = await fetch(url, { method: 'POST', body: form });
    const body = (await response.json()) as Record<string, unknown>;
    expect(body.bufferedByFramework).toBe(0);
    expect(body.streamed).toBeGreaterThan(100_000);
    expect(body.type).toMatch(/^multipart\/form-data; boundary=/);
  });

  it('leave every other body to the framework, which parses it and keeps its bytes', async () => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(await response.json()).toMatchObject({
      bufferedByFramework: 7,
      type: null,
      body: { a: 1 },
    });
  });
});

describe('what the framework leaves to Express’s final handler', () => {
  it.each([
    ['malformed JSON', 'application/json', '{"a":', 400, 'invalid_json'],
    [
      'an unknown charset',
      'application/json; charset=klingon',
      '{}',
      415,
      'unsupported_media_type',
    ],
  ])('%s is answered in our JSON error shape', async (_, type, body, status, code) => {
    const url = await serve((name) =>
      functionsFramework.http(name, (_req, res) => {
        res.status(204).end();
      }),
    );
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': type }, body });
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ error: { code, message: expect.any(String) } });
  });
});
