import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, startTestPipeline, type TestPipeline } from '../support/pipeline.ts';

type ErrorBody = { error: { code: string; fields?: { field: string; message: string }[] } };

const unknownEndpoint = 'ep_AAAAAAAAAAAAAAAAAAAAAA';
const unknownEvent = '00000000-0000-4000-8000-000000000000';

/** Every entry point of the endpoint and replay API: good answers, and every bad request named. */
describe('the webhook endpoints API', () => {
  let pipeline: TestPipeline;
  let auth: Record<string, string>;
  let endpointId: string;

  beforeAll(async () => {
    pipeline = await startTestPipeline({ label: 'webhook-api' });
    auth = { authorization: `Bearer ${pipeline.adminToken}` };
  });
  afterAll(async () => {
    await pipeline.close();
  });

  function call(method: string, path: string, body?: unknown, headers = auth): Promise<Response> {
    return fetch(`${pipeline.urls.api}${path}`, {
      method,
      headers: {
        ...headers,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined
        ? {}
        : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
  }

  it('creates, lists, gets, updates and deletes an endpoint; the secret is shown once', async () => {
    const created = await postJson(
      `${pipeline.urls.api}/v1/webhook-endpoints`,
      {
        url: 'http://127.0.0.1:9/hook',
        eventTypes: ['page.viewed', 'workspace.*'],
        description: 'CRM',
      },
      auth,
    );
    expect(created.status).toBe(201);
    const body = (await created.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      url: 'http://127.0.0.1:9/hook',
      eventTypes: ['page.viewed', 'workspace.*'],
      description: 'CRM',
      enabled: true,
      stats: { consecutiveFailures: 0, failedAttempts: 0 },
    });
    expect(body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    endpointId = String(body.id);

    const list = (await (await call('GET', '/v1/webhook-endpoints')).json()) as {
      endpoints: Record<string, unknown>[];
    };
    expect(list.endpoints.map((e) => e.id)).toContain(endpointId);
    expect(JSON.stringify(list)).not.toContain(String(body.secret));

    const got = await call('GET', `/v1/webhook-endpoints/${endpointId}`);
    expect(got.status).toBe(200);
    expect(await got.json()).not.toHaveProperty('secret');

    const updated = await call('PATCH', `/v1/webhook-endpoints/${endpointId}`, {
      eventTypes: ['checkout.*'],
      enabled: false,
    });
    expect(updated.status).toBe(200);
    expect(await updated.json()).toMatchObject({
      eventTypes: ['checkout.*'],
      enabled: false,
      disabledReason: 'manual',
      url: 'http://127.0.0.1:9/hook',
    });

    const rotated = await call('POST', `/v1/webhook-endpoints/${endpointId}/rotate-secret`);
    expect(rotated.status).toBe(200);
    const rotatedBody = (await rotated.json()) as { secret: string; secretRotation: unknown };
    expect(rotatedBody.secret).toMatch(/^whsec_/);
    expect(rotatedBody.secret).not.toBe(body.secret);
    expect(rotatedBody.secretRotation).toMatchObject({
      previousSecretExpiresAt: expect.any(String) as string,
    });

    const removable = (await (
      await postJson(
        `${pipeline.urls.api}/v1/webhook-endpoints`,
        { url: 'http://127.0.0.1:9/other', eventTypes: ['*'] },
        auth,
      )
    ).json()) as { id: string };
    expect((await call('DELETE', `/v1/webhook-endpoints/${removable.id}`)).status).toBe(204);
    expect((await call('GET', `/v1/webhook-endpoints/${removable.id}`)).status).toBe(404);
    expect((await call('DELETE', `/v1/webhook-endpoints/${removable.id}`)).status).toBe(404);
  });

  it.each([
    ['POST', '/v1/webhook-endpoints', {}, ['url', 'eventTypes']],
    ['POST', '/v1/webhook-endpoints', { url: 42, eventTypes: ['a.b'] }, ['url']],
    ['POST', '/v1/webhook-endpoints', { url: 'not a url', eventTypes: ['a.b'] }, ['url']],
    ['POST', '/v1/webhook-endpoints', { url: 'ftp://127.0.0.1/x', eventTypes: ['a.b'] }, ['url']],
    ['POST', '/v1/webhook-endpoints', { url: 'http://10.0.0.1/x', eventTypes: ['a.b'] }, ['url']],
    [
      'POST',
      '/v1/webhook-endpoints',
      { url: 'http://127.0.0.1/x', eventTypes: [] },
      ['eventTypes'],
    ],
    [
      'POST',
      '/v1/webhook-endpoints',
      { url: 'http://127.0.0.1/x', eventTypes: 'a.b' },
      ['eventTypes'],
    ],
    [
      'POST',
      '/v1/webhook-endpoints',
      { url: 'http://127.0.0.1/x', eventTypes: ['Page'] },
      ['eventTypes.0'],
    ],
    [
      'POST',
      '/v1/webhook-endpoints',
      { url: 'http://127.0.0.1/x', eventTypes: ['a.b', 'a*'] },
      ['eventTypes.1'],
    ],
    [
      'POST',
      '/v1/webhook-endpoints',
      { url: 'http://127.0.0.1/x', eventTypes: ['a.b'], description: 'x'.repeat(501) },
      ['description'],
    ],
    [
      'POST',
      '/v1/webhook-endpoints',
      { url: 'http://127.0.0.1/x', eventTypes: ['a.b'], enabled: 'yes' },
      ['enabled'],
    ],
    [
      'POST',
      '/v1/webhook-endpoints',
      { url: 'http://127.0.0.1/x', eventTypes: ['a.b'], secret: 's' },
      ['(root)'],
    ],
    ['POST', '/v1/webhook-endpoints', [], ['(root)']],
    ['PATCH', '/v1/webhook-endpoints/:id', {}, ['(root)']],
    ['PATCH', '/v1/webhook-endpoints/:id', { enabled: 'no' }, ['enabled']],
    ['PATCH', '/v1/webhook-endpoints/:id', { url: 'http://169.254.169.254/' }, ['url']],
    ['PATCH', '/v1/webhook-endpoints/:id', { eventTypes: ['X'] }, ['eventTypes.0']],
    ['POST', '/v1/webhook-endpoints/:id/rotate-secret', { graceSeconds: -1 }, ['graceSeconds']],
    ['POST', '/v1/webhook-endpoints/:id/rotate-secret', { graceSeconds: 1e9 }, ['graceSeconds']],
    ['POST', '/v1/webhook-endpoints/:id/replay', {}, ['from', 'to']],
    [
      'POST',
      '/v1/webhook-endpoints/:id/replay',
      { from: 'yesterday', to: '2026-01-01T00:00:00Z' },
      ['from'],
    ],
    [
      'POST',
      '/v1/webhook-endpoints/:id/replay',
      { from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' },
      ['to'],
    ],
  ])('%s %s %j → 400 naming %j', async (method, path, body, fields) => {
    const response = await call(method, path.replace(':id', endpointId), body);
    expect(response.status).toBe(400);
    const error = ((await response.json()) as ErrorBody).error;
    expect(error.code).toBe('invalid_request');
    expect([...new Set(error.fields?.map((f) => f.field))]).toEqual(fields);
  });

  it('malformed JSON is a 400 and a body that is not JSON a 415', async () => {
    const malformed = await call('POST', '/v1/webhook-endpoints', '{"url":');
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as ErrorBody).error.code).toBe('invalid_json');
    const text = await fetch(`${pipeline.urls.api}/v1/webhook-endpoints`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'text/plain' },
      body: 'url=http://x',
    });
    expect(text.status).toBe(415);
  });

  const routes: [string, string][] = [
    ['POST', '/v1/webhook-endpoints'],
    ['GET', '/v1/webhook-endpoints'],
    ['GET', `/v1/webhook-endpoints/${unknownEndpoint}`],
    ['PATCH', `/v1/webhook-endpoints/${unknownEndpoint}`],
    ['DELETE', `/v1/webhook-endpoints/${unknownEndpoint}`],
    ['POST', `/v1/webhook-endpoints/${unknownEndpoint}/rotate-secret`],
    ['POST', `/v1/webhook-endpoints/${unknownEndpoint}/replay`],
    ['POST', `/v1/events/${unknownEvent}/deliveries/${unknownEndpoint}/replay`],
  ];

  it.each(routes)('%s %s without the admin token → 401', async (method, path) => {
    const headerSets: Record<string, string>[] = [
      {},
      { authorization: `Bearer ${pipeline.apiKey}` },
    ];
    for (const headers of headerSets) {
      const response = await call(method, path, method === 'GET' ? undefined : {}, headers);
      expect(response.status).toBe(401);
      expect(((await response.json()) as ErrorBody).error.code).toBe('unauthenticated');
    }
  });

  it.each([
    ['GET', `/v1/webhook-endpoints/${unknownEndpoint}`, undefined],
    ['GET', '/v1/webhook-endpoints/not-an-id', undefined],
    ['PATCH', `/v1/webhook-endpoints/${unknownEndpoint}`, { enabled: true }],
    ['DELETE', `/v1/webhook-endpoints/${unknownEndpoint}`, undefined],
    ['POST', `/v1/webhook-endpoints/${unknownEndpoint}/rotate-secret`, {}],
    [
      'POST',
      `/v1/webhook-endpoints/${unknownEndpoint}/replay`,
      { from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' },
    ],
    ['POST', `/v1/events/${unknownEvent}/deliveries/${unknownEndpoint}/replay`, {}],
    ['POST', `/v1/events/${unknownEvent}/deliveries/not-an-id/replay`, {}],
  ])('%s %s for something unknown → 404', async (method, path, body) => {
    const response = await call(method, path, body);
    expect(response.status).toBe(404);
    expect(((await response.json()) as ErrorBody).error.code).toBe('not_found');
  });
});
