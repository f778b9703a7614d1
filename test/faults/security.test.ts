import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { constantTimeEqual } from '../../functions/src/admin/adminAuth.ts';
import { collections } from '../../infra/spec.ts';
import { httpRouteTable, type RouteEntry } from '../../functions/src/routeTable.ts';
import { projectRoot } from '../../scripts/lib/localStack.ts';
import { recordFault } from './faultLedger.ts';
import { startStack, watchSecret, type StackHarness } from './stackHarness.ts';

/** Webhook URLs that lead into our own network or to the metadata server. */
const ssrfTargets = [
  'http://127.0.0.1:8080/hook',
  'http://127.0.0.2/hook',
  'http://localhost/hook',
  'http://2130706433/hook',
  'http://[::1]/hook',
  'http://[::ffff:127.0.0.1]/hook',
  'http://0.0.0.0/hook',
  'http://169.254.169.254/computeMetadata/v1/',
  'http://[::ffff:169.254.169.254]/',
  'http://metadata.google.internal/computeMetadata/v1/',
  'http://metadata/computeMetadata/v1/',
  'http://10.0.0.1/hook',
  'http://10.255.255.254:8443/hook',
  'http://172.16.0.1/hook',
  'http://192.168.1.1/hook',
  'http://[fd00::1]/hook',
  'http://[fe80::1]/hook',
];

const wrongCredentials = (harness: StackHarness, route: RouteEntry) => [
  undefined,
  route.role === 'admin'
    ? `Bearer ${harness.stack.info.apiKey}`
    : `Bearer ${harness.stack.info.adminToken}`,
  'Bearer not-a-credential',
  `Bearer ${harness.stack.info.adminToken.slice(0, -1)}`,
  `Basic ${Buffer.from(`admin:${harness.stack.info.adminToken}`).toString('base64')}`,
];

describe('security checks against the local stack', () => {
  let harness: StackHarness;

  beforeAll(async () => {
    harness = await startStack({
      label: 'security',
      pubsubEmulatorHost: inject('pubsubEmulatorHost'),
      firestoreEmulatorHost: inject('firestoreEmulatorHost'),
      // As in the cloud: receivers on this machine are not allowed.
      webhookAllowLoopback: false,
      env: { UPLOADS_PER_MINUTE_PER_KEY: '1000', UPLOADS_PER_MINUTE_PER_IP: '1000' },
    });
  });
  afterAll(async () => {
    await harness.close();
  });

  it('refuses missing and wrong credentials on every route of the route table', async () => {
    const secured = httpRouteTable.filter((route) => route.role !== 'public');
    const open = httpRouteTable.filter((route) => route.role === 'public');
    const served: string[] = [];
    let requests = 0;
    for (const route of secured) {
      for (const authorization of wrongCredentials(harness, route)) {
        const path = route.path.replace(/:[A-Za-z]+/g, 'no-such-id');
        const response = await fetch(`${harness.stack.info.functionUrls[route.function]}${path}`, {
          method: route.method,
          headers: {
            ...(authorization ? { authorization } : {}),
            ...(route.method === 'GET' ? {} : { 'content-type': 'application/json' }),
          },
          ...(route.method === 'GET' ? {} : { body: '{}' }),
        });
        requests += 1;
        const body = (await response.json()) as { error?: { code?: string } };
        if (
          response.status !== 401 ||
          body.error?.code !== 'unauthenticated' ||
          !(response.headers.get('www-authenticate') ?? '').startsWith('Bearer')
        )
          served.push(`${route.method} ${route.path} (${response.status})`);
      }
    }
    const openStatuses = await Promise.all(
      open.map(
        async (route) =>
          (await fetch(`${harness.stack.info.functionUrls[route.function]}${route.path}`)).status,
      ),
    );
    recordFault(inject('faultLedger'), {
      scenario: 'security: credentials on every route',
      faultsInjected: requests,
      eventsSent: 0,
      lost: 0,
      duplicated: 0,
      serverErrorsOnBadInput: 0,
      note: `${secured.length} secured routes × ${requests / secured.length} wrong credentials: ${requests - served.length} answered 401; ${open.length} public routes`,
    });
    expect(secured.length).toBeGreaterThanOrEqual(25);
    expect(served).toEqual([]);
    expect(openStatuses).toEqual(open.map(() => 200));
  });

  it('refuses webhook URLs that point at loopback, private, link-local or metadata addresses', async () => {
    const accepted: string[] = [];
    for (const url of ssrfTargets) {
      const response = await fetch(`${harness.stack.info.apiUrl}/v1/webhook-endpoints`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${harness.stack.info.adminToken}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ url, eventTypes: ['*'] }),
      });
      const body = (await response.json()) as { error?: { fields?: { field: string }[] } };
      const refusedForUrl = body.error?.fields?.some((f) => f.field === 'url') ?? false;
      if (response.status !== 400 || !refusedForUrl) accepted.push(`${url} (${response.status})`);
    }
    const list = await fetch(`${harness.stack.info.apiUrl}/v1/webhook-endpoints`, {
      headers: { authorization: `Bearer ${harness.stack.info.adminToken}` },
    });
    const { endpoints } = (await list.json()) as { endpoints: unknown[] };
    recordFault(inject('faultLedger'), {
      scenario: 'security: SSRF webhook URLs',
      faultsInjected: ssrfTargets.length,
      eventsSent: 0,
      lost: 0,
      duplicated: 0,
      serverErrorsOnBadInput: 0,
      note: `${ssrfTargets.length - accepted.length}/${ssrfTargets.length} refused (loopback, 10.x, 169.254.169.254, [::1], metadata.google.internal, ...); ${endpoints.length} endpoints stored`,
    });
    expect(accepted).toEqual([]);
    expect(endpoints).toEqual([]);
  });

  it('refuses the same targets as a Workspace source callback URL, and stores credentials sealed', async () => {
    const admin = {
      authorization: `Bearer ${harness.stack.info.adminToken}`,
      'content-type': 'application/json',
    };
    const credentials = {
      type: 'oauth',
      clientId: 'security-client',
      clientSecret: `cs-${randomUUID()}`,
      refreshToken: `rt-${randomUUID()}`,
    };
    watchSecret(credentials.clientSecret, credentials.refreshToken);
    const accepted: string[] = [];
    for (const callbackUrl of ssrfTargets) {
      const response = await fetch(`${harness.stack.info.apiUrl}/v1/sources`, {
        method: 'POST',
        headers: admin,
        body: JSON.stringify({ sourceType: 'google_workspace', credentials, callbackUrl }),
      });
      const body = (await response.json()) as { error?: { fields?: { field: string }[] } };
      const refused = body.error?.fields?.some((f) => f.field === 'callbackUrl') ?? false;
      if (response.status !== 400 || !refused) accepted.push(`${callbackUrl} (${response.status})`);
    }
    const created = await fetch(`${harness.stack.info.apiUrl}/v1/sources`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ sourceType: 'google_workspace', credentials }),
    });
    const source = (await created.json()) as { id: string };
    const raw = JSON.stringify(
      (
        await harness.firestore.collection(collections.workspaceSources.name).doc(source.id).get()
      ).data(),
    );
    const inClear = [credentials.clientSecret, credentials.refreshToken].filter((secret) =>
      raw.includes(secret),
    );
    recordFault(inject('faultLedger'), {
      scenario: 'security: Workspace callback URLs, credentials at rest',
      faultsInjected: ssrfTargets.length,
      eventsSent: 0,
      lost: 0,
      duplicated: 0,
      serverErrorsOnBadInput: 0,
      note: `${ssrfTargets.length - accepted.length}/${ssrfTargets.length} callback URLs refused; raw source document: ${inClear.length} credential values in clear`,
    });
    expect(accepted).toEqual([]);
    expect(created.status).toBe(201);
    expect(raw.length).toBeGreaterThan(0);
    expect(inClear).toEqual([]);
  });

  it('compares the admin token in constant time', async () => {
    const source = await readFile(join(projectRoot, 'functions/src/admin/adminAuth.ts'), 'utf8');
    const token = harness.stack.info.adminToken;
    const cases: [string, string, boolean][] = [
      [token, token, true],
      [token, `${token.slice(0, -1)}x`, false],
      [token, token.slice(0, -1), false],
      [token, `${token}x`, false],
      [token, '', false],
      ['', '', true],
    ];
    const wrong = cases.filter(([a, b, equal]) => constantTimeEqual(a, b) !== equal).length;
    recordFault(inject('faultLedger'), {
      scenario: 'security: admin token comparison',
      faultsInjected: cases.length,
      eventsSent: 0,
      lost: 0,
      duplicated: 0,
      serverErrorsOnBadInput: 0,
      note: `timingSafeEqual over SHA-256 digests; ${cases.length - wrong}/${cases.length} comparisons right`,
    });
    expect(wrong).toBe(0);
    // Digests of equal length go to crypto.timingSafeEqual; no early-exit comparison of the token.
    expect(source).toMatch(/timingSafeEqual\(sha256\(a\), sha256\(b\)\)/);
    expect(source).toMatch(/!constantTimeEqual\(token, adminToken\)/);
    expect(source).not.toMatch(/token\s*[!=]==?\s*adminToken|adminToken\s*[!=]==?\s*token/);
  });
});
