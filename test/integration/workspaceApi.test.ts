import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceListSchema, sourceSchema } from '../../functions/src/workspace/sourceSchemas.ts';
import { startTestPipeline, type TestPipeline } from '../support/pipeline.ts';

type ErrorBody = { error: { code: string; message: string; fields?: { field: string }[] } };

const unknownSource = 'src_AAAAAAAAAAAAAAAAAAAAAA';
const oauth = { type: 'oauth', clientId: 'id', clientSecret: 'secret-value', refreshToken: 'rt' };
const valid = { sourceType: 'google_workspace', credentials: oauth };

/** The source routes' answers to bad requests: 400 naming the field, 404, 415; never a 500. */
describe('the sources API', () => {
  let pipeline: TestPipeline;
  let sourceId: string;

  beforeAll(async () => {
    pipeline = await startTestPipeline({ label: 'workspace-api' });
  });
  afterAll(async () => {
    await pipeline.close();
  });

  function call(method: string, path: string, body?: unknown): Promise<Response> {
    return fetch(`${pipeline.urls.api}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${pipeline.adminToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined
        ? {}
        : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
  }

  it('creates with defaults, lists, gets, updates and deletes a source', async () => {
    const before = Date.now();
    const created = await call('POST', '/v1/sources', valid);
    expect(created.status).toBe(201);
    const body = (await created.json()) as Record<string, unknown>;
    // Without a startTime the source starts a day back, so the past day is fetched at once.
    const startAt = Date.parse(String(body.startAt));
    expect(startAt).toBeGreaterThanOrEqual(before - 24 * 3_600_000);
    expect(startAt).toBeLessThanOrEqual(Date.now() - 24 * 3_600_000);
    expect(body).toMatchObject({
      sourceType: 'google_workspace',
      applications: ['admin', 'login', 'token', 'saml', 'drive', 'groups', 'user_accounts'],
      logFetchInterval: 300,
      credentials: { type: 'oauth', set: true },
      status: 'active',
      eventsFetched: 0,
      gap: false,
      callbackUrl: null,
    });
    expect(body).not.toHaveProperty('webhookSecret');
    sourceId = String(body.id);
    expect(sourceId).toMatch(/^src_/);

    expect(sourceSchema.safeParse(body).error).toBeUndefined();
    const list = (await (await call('GET', '/v1/sources')).json()) as { sources: { id: string }[] };
    expect(sourceListSchema.safeParse(list).error).toBeUndefined();
    expect(list.sources.map((s) => s.id)).toContain(sourceId);
    expect(JSON.stringify(list)).not.toContain('secret-value');

    const updated = await call('PUT', `/v1/sources/${sourceId}`, {
      applications: ['login'],
      logFetchInterval: 120,
      lagSeconds: { login: 60 },
    });
    expect(updated.status).toBe(200);
    expect(await updated.json()).toMatchObject({
      applications: ['login'],
      logFetchInterval: 120,
      lagSeconds: { login: 60 },
    });
    const polled = await call('POST', `/v1/sources/${sourceId}/poll`);
    expect(polled.status).toBe(202);
    expect(await polled.json()).toEqual({ sourceId, applications: ['login'] });
  });

  const createCases: [string, unknown, string][] = [
    ['no sourceType', { credentials: oauth }, 'sourceType'],
    ['another sourceType', { ...valid, sourceType: 'okta' }, 'sourceType'],
    ['no credentials', { sourceType: 'google_workspace' }, 'credentials'],
    [
      'credentials of no known type',
      { ...valid, credentials: { type: 'basic' } },
      'credentials.type',
    ],
    [
      'an empty client secret',
      { ...valid, credentials: { ...oauth, clientSecret: '' } },
      'credentials.clientSecret',
    ],
    [
      'no refresh token',
      { ...valid, credentials: { type: 'oauth', clientId: 'a', clientSecret: 'b' } },
      'credentials.refreshToken',
    ],
    [
      'an unknown credentials field',
      { ...valid, credentials: { ...oauth, password: 'x' } },
      'credentials.password',
    ],
    [
      'a service account without subject',
      { ...valid, credentials: { type: 'service_account', serviceAccountKey: '{}' } },
      'credentials.subject',
    ],
    [
      'a service account key that is not one',
      {
        ...valid,
        credentials: {
          type: 'service_account',
          serviceAccountKey: 'not json',
          subject: 'a@example.com',
        },
      },
      'credentials.serviceAccountKey',
    ],
    [
      'a subject that is not an email',
      {
        ...valid,
        credentials: {
          type: 'service_account',
          serviceAccountKey: {
            client_email: 'svc@p.iam.gserviceaccount.com',
            private_key: '-----BEGIN PRIVATE KEY-----',
          },
          subject: 'admin',
        },
      },
      'credentials.subject',
    ],
    ['an unknown application', { ...valid, applications: ['mail'] }, 'applications.0'],
    ['no applications', { ...valid, applications: [] }, 'applications'],
    ['applications not a list', { ...valid, applications: 'login' }, 'applications'],
    ['no interval at all', { ...valid, logFetchInterval: 0 }, 'logFetchInterval'],
    ['a negative interval', { ...valid, logFetchInterval: -30 }, 'logFetchInterval'],
    ['an interval as text', { ...valid, logFetchInterval: '30' }, 'logFetchInterval'],
    ['too long an interval', { ...valid, logFetchInterval: 10_000_000 }, 'logFetchInterval'],
    ['an interval not whole', { ...valid, logFetchInterval: 90.5 }, 'logFetchInterval'],
    ['a negative lag', { ...valid, lagSeconds: { login: -5 } }, 'lagSeconds.login'],
    ['a lag for an unknown application', { ...valid, lagSeconds: { mail: 5 } }, 'lagSeconds.mail'],
    ['a callback URL that is no URL', { ...valid, callbackUrl: 'not a url' }, 'callbackUrl'],
    [
      'a callback URL on a private network',
      { ...valid, callbackUrl: 'http://10.1.2.3/hook' },
      'callbackUrl',
    ],
    [
      'a callback URL of the metadata server',
      { ...valid, callbackUrl: 'http://169.254.169.254/x' },
      'callbackUrl',
    ],
    ['a start time that is no time', { ...valid, startTime: 'yesterday' }, 'startTime'],
    ['a start time in the future', { ...valid, startTime: '2999-01-01T00:00:00Z' }, 'startTime'],
    ['a start time beyond retention', { ...valid, startTime: '2000-01-01T00:00:00Z' }, 'startTime'],
    ['an unknown field', { ...valid, pollEvery: 5 }, 'pollEvery'],
    ['a name too long', { ...valid, name: 'x'.repeat(201) }, 'name'],
    ['a body that is not an object', [], '(root)'],
  ];

  const shapeCases: [string, string, unknown][] = [
    [
      'OAuth fields under both names',
      'credentials.clientId',
      { client_id: 'a', clientId: 'a', client_secret: 'b', refresh_token: 'c' },
    ],
    [
      'OAuth and service account fields together',
      'credentials.type',
      { client_id: 'a', client_secret: 'b', refresh_token: 'c', serviceAccountKey: '{}' },
    ],
    ['no field that says the type', 'credentials.type', { token: 'abc' }],
    [
      'a raw service account key',
      'credentials.type',
      { client_email: 'svc@p.iam.gserviceaccount.com', private_key: 'k' },
    ],
    [
      'an OAuth credential without its refresh token',
      'credentials.refresh_token',
      { client_id: 'a', client_secret: 'b' },
    ],
    [
      'an empty client id',
      'credentials.client_id',
      { client_id: '', client_secret: 'b', refresh_token: 'c' },
    ],
    ['credentials that are a string', 'credentials', 'client-1:secret'],
  ];

  it.each(shapeCases)(
    'POST refuses credentials with %s, naming %s as sent',
    async (_, field, credentials) => {
      const response = await call('POST', '/v1/sources', {
        sourceType: 'google_workspace',
        credentials,
      });
      expect(response.status).toBe(400);
      const error = ((await response.json()) as ErrorBody).error;
      expect(error.fields?.map((f) => f.field)).toContain(field);
    },
  );

  it('accepts OAuth credentials without a type, under either name, and a full body as an update', async () => {
    const snake = { client_id: 'id', client_secret: 'secret-value', refresh_token: 'rt' };
    for (const credentials of [
      snake,
      { clientId: 'id', clientSecret: 'secret-value', refreshToken: 'rt' },
    ]) {
      const body = {
        sourceType: 'google_workspace',
        credentials,
        callbackUrl: null,
        logFetchInterval: 30,
      };
      const created = await call('POST', '/v1/sources', body);
      expect(created.status).toBe(201);
      const source = (await created.json()) as Record<string, unknown>;
      expect(source).toMatchObject({
        credentials: { type: 'oauth', set: true },
        logFetchInterval: 30,
        effectiveFetchIntervalSeconds: 60,
      });
      const replaced = await call('PUT', `/v1/sources/${String(source.id)}`, {
        ...body,
        logFetchInterval: 90,
      });
      expect(replaced.status).toBe(200);
      expect(await replaced.json()).toMatchObject({
        logFetchInterval: 90,
        effectiveFetchIntervalSeconds: 120,
        credentials: { type: 'oauth', set: true },
      });
      expect((await call('DELETE', `/v1/sources/${String(source.id)}`)).status).toBe(204);
    }
  });

  it.each(createCases)('POST refuses %s with 400 naming %s', async (_, body, field) => {
    const response = await call('POST', '/v1/sources', body);
    expect(response.status).toBe(400);
    const error = ((await response.json()) as ErrorBody).error;
    expect(error.code).toBe('invalid_request');
    expect(error.fields?.map((f) => f.field)).toContain(field);
    expect(JSON.stringify(error)).not.toContain('secret-value');
  });

  const updateCases: [string, unknown, string][] = [
    ['an empty change', {}, '(root)'],
    ['another sourceType', { sourceType: 'okta' }, 'sourceType'],
    ['an unknown field', { pollEvery: 5 }, 'pollEvery'],
    ['a start time, fixed at creation', { startTime: '2026-01-01T00:00:00Z' }, 'startTime'],
    ['an unknown status', { status: 'credentials_invalid' }, 'status'],
    ['bad credentials', { credentials: { type: 'oauth' } }, 'credentials.clientId'],
    ['an unknown application', { applications: ['mail'] }, 'applications.0'],
    ['no interval at all', { logFetchInterval: 0 }, 'logFetchInterval'],
    [
      'credentials whose type cannot be told',
      { credentials: { client_id: 'a', client_secret: 'b', refresh_token: 'c', subject: 'x@y.z' } },
      'credentials.type',
    ],
    ['a private callback URL', { callbackUrl: 'http://192.168.1.1/' }, 'callbackUrl'],
  ];

  it.each(updateCases)('PUT refuses %s with 400 naming %s', async (_, body, field) => {
    const response = await call('PUT', `/v1/sources/${sourceId}`, body);
    expect(response.status).toBe(400);
    const error = ((await response.json()) as ErrorBody).error;
    expect(error.fields?.map((f) => f.field)).toContain(field);
  });

  it('refuses a body that is not JSON', async () => {
    const notJson = await fetch(`${pipeline.urls.api}/v1/sources`, {
      method: 'POST',
      headers: { authorization: `Bearer ${pipeline.adminToken}`, 'content-type': 'text/plain' },
      body: 'hello',
    });
    expect(notJson.status).toBe(415);
    const broken = await call('POST', '/v1/sources', '{"sourceType":');
    expect(broken.status).toBe(400);
  });

  it.each([
    ['GET', `/v1/sources/${unknownSource}`],
    ['GET', '/v1/sources/not-an-id'],
    ['PUT', `/v1/sources/${unknownSource}`],
    ['DELETE', `/v1/sources/${unknownSource}`],
    ['POST', `/v1/sources/${unknownSource}/poll`],
  ])('%s %s answers 404 for an unknown source', async (method, path) => {
    const response = await call(method, path, method === 'PUT' ? { name: 'x' } : undefined);
    expect(response.status).toBe(404);
    expect(((await response.json()) as ErrorBody).error.code).toBe('not_found');
  });

  it('pauses and resumes a source, and refuses to poll it while paused', async () => {
    const paused = await call('PUT', `/v1/sources/${sourceId}`, { status: 'paused' });
    expect(await paused.json()).toMatchObject({ status: 'paused' });
    expect((await call('POST', `/v1/sources/${sourceId}/poll`)).status).toBe(409);
    const resumed = await call('PUT', `/v1/sources/${sourceId}`, { status: 'active' });
    expect(await resumed.json()).toMatchObject({ status: 'active' });
    expect((await call('DELETE', `/v1/sources/${sourceId}`)).status).toBe(204);
    expect((await call('GET', `/v1/sources/${sourceId}`)).status).toBe(404);
  });
});
