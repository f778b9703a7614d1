import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRouteTable, type RouteEntry } from '../../functions/src/routeTable.ts';
import type { Role } from '../../functions/src/lib/router.ts';
import { startTestPipeline, type TestPipeline } from '../support/pipeline.ts';

/** A request for a route, with placeholder parameters and a harmless JSON body. */
function call(pipeline: TestPipeline, route: RouteEntry, authorization?: string) {
  const path = route.path.replace(/:[A-Za-z]+/g, 'no-such-id');
  return fetch(`${pipeline.urls[route.function]}${path}`, {
    method: route.method,
    headers: {
      ...(authorization ? { authorization } : {}),
      ...(route.method === 'GET' ? {} : { 'content-type': 'application/json' }),
    },
    ...(route.method === 'GET' ? {} : { body: '{}' }),
  });
}

/** Paths no route answers under a guarded prefix, and what each answers with the credential. */
const probes = (prefix: string) => [
  { method: 'GET', path: `${prefix}/no-such-route/at-all`, known: 404 },
  { method: 'DELETE', path: `${prefix}/x/y/z`, known: 404 },
  { method: 'PATCH', path: prefix, known: 404 },
];

describe('the route table', () => {
  let pipeline: TestPipeline;

  beforeAll(async () => {
    pipeline = await startTestPipeline({
      label: 'routes',
      env: { UPLOADS_PER_MINUTE_PER_KEY: '600', UPLOADS_PER_MINUTE_PER_IP: '600' },
    });
  });
  afterAll(async () => {
    await pipeline.close();
  });

  it('lists the routes of both HTTP functions, each with a role', () => {
    expect(httpRouteTable.filter((r) => r.function === 'ingest').length).toBeGreaterThanOrEqual(3);
    expect(httpRouteTable.filter((r) => r.role === 'admin').length).toBeGreaterThanOrEqual(10);
    expect(httpRouteTable.filter((r) => r.role === 'apiKey').length).toBeGreaterThanOrEqual(3);
  });

  const secured = httpRouteTable.filter((r) => r.role !== 'public');
  it.each(secured.map((r) => [`${r.function} ${r.method} ${r.path}`, r] as const))(
    '%s answers 401 without its credential, with the other one, and with a wrong one',
    async (_, route) => {
      const other =
        route.role === 'admin' ? `Bearer ${pipeline.apiKey}` : `Bearer ${pipeline.adminToken}`;
      for (const authorization of [undefined, other, 'Bearer not-a-credential', 'Basic abc']) {
        const response = await call(pipeline, route, authorization);
        expect({ authorization, status: response.status }).toEqual({ authorization, status: 401 });
        expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
        expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
          'unauthenticated',
        );
      }
    },
  );

  it.each(secured.map((r) => [`${r.function} ${r.method} ${r.path}`, r] as const))(
    '%s lets the right credential through',
    async (_, route) => {
      const right =
        route.role === 'admin' ? `Bearer ${pipeline.adminToken}` : `Bearer ${pipeline.apiKey}`;
      const response = await call(pipeline, route, right);
      expect(response.status).not.toBe(401);
      expect(response.status).toBeLessThan(500);
    },
  );

  /** Each function's guarded prefixes: the first two segments of its non-public routes. */
  const guardedPrefixes = [
    ...new Map(
      secured.map((r) => {
        const prefix = r.path.split('/').slice(0, 3).join('/');
        return [`${r.function} ${prefix}`, { function: r.function, prefix, role: r.role }];
      }),
    ).values(),
  ];
  const credentialFor = (role: Role) =>
    role === 'admin' ? `Bearer ${pipeline.adminToken}` : `Bearer ${pipeline.apiKey}`;

  it.each(guardedPrefixes.map((g) => [`${g.function} ${g.prefix}`, g] as const))(
    'under %s an unknown path answers 401 before 404 or 405, so routes cannot be mapped',
    async (_, guarded) => {
      for (const probe of probes(guarded.prefix)) {
        const url = `${pipeline.urls[guarded.function]}${probe.path}`;
        const anonymous = await fetch(url, { method: probe.method });
        const wrong = await fetch(url, {
          method: probe.method,
          headers: { authorization: 'Bearer not-a-credential' },
        });
        const right = await fetch(url, {
          method: probe.method,
          headers: { authorization: credentialFor(guarded.role) },
        });
        expect({
          probe: `${probe.method} ${probe.path}`,
          anonymous: anonymous.status,
          wrong: wrong.status,
          right: right.status === 405 ? 404 : right.status,
        }).toEqual({
          probe: `${probe.method} ${probe.path}`,
          anonymous: 401,
          wrong: 401,
          right: probe.known,
        });
        expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe(
          'unauthenticated',
        );
      }
    },
  );

  const open = httpRouteTable.filter((r) => r.role === 'public');
  it.each(open.map((r) => [`${r.function} ${r.method} ${r.path}`, r] as const))(
    '%s is public and answers without a credential',
    async (_, route) => {
      const response = await call(pipeline, route);
      expect(response.status).toBe(200);
    },
  );
});
