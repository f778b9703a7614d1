import type { Request } from '@google-cloud/functions-framework';
import { describe, expect, it } from 'vitest';
import { HttpError } from './http.ts';
import { guardOf, lookupRoute, type Route, type RouteMatch } from './router.ts';

const noop = () => undefined;
const routes: Route<unknown>[] = [
  { method: 'GET', path: '/v1/things', role: 'admin', handle: noop },
  { method: 'POST', path: '/v1/things', role: 'admin', handle: noop },
  { method: 'GET', path: '/v1/things/:id', role: 'admin', handle: noop },
  { method: 'DELETE', path: '/v1/things/:id', role: 'admin', handle: noop },
];
const request = (method: string, path: string) => ({ method, path }) as unknown as Request;

/** The route, or the error a handler answers once the guard's credential is checked. */
function matchRoute(table: readonly Route<unknown>[], req: Request): RouteMatch<unknown> {
  const lookup = lookupRoute(table, req);
  if (!lookup.found) throw lookup.error;
  return lookup;
}

function thrown(fn: () => unknown): HttpError | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error instanceof HttpError ? error : undefined;
  }
}

describe('lookupRoute matching', () => {
  it('matches a path with parameters, decoded', () => {
    const match = matchRoute(routes, request('GET', '/v1/things/a%20b'));
    expect(match.route.path).toBe('/v1/things/:id');
    expect(match.params).toEqual({ id: 'a b' });
  });

  it('ignores a trailing slash', () => {
    expect(matchRoute(routes, request('POST', '/v1/things/')).route.method).toBe('POST');
  });

  it('answers 405 naming the allowed methods when only the method is wrong', () => {
    const error = thrown(() => matchRoute(routes, request('PUT', '/v1/things/1')));
    expect(error?.status).toBe(405);
    expect(error?.headers.Allow).toBe('GET, DELETE');
  });

  it.each([
    ['an unknown path', '/v1/other', 404],
    ['an empty parameter', '/v1/things//x', 404],
    ['a bad escape', '/v1/things/%E0%A4%A', 400],
    ['an encoded slash', '/v1/things/..%2F..%2Fetc%2Fpasswd', 404],
    ['an encoded dot-dot', '/v1/things/%2E%2E', 404],
    ['a reserved id', '/v1/things/__name__', 404],
    ['a parameter longer than any id', `/v1/things/${'a'.repeat(1501)}`, 404],
  ])('answers %s with %i', (_, path, status) => {
    expect(thrown(() => matchRoute(routes, request('GET', path)))?.status).toBe(status);
  });
});

describe('lookupRoute', () => {
  const guarded: Route<unknown>[] = [
    ...routes,
    { method: 'POST', path: '/v1/uploads', role: 'apiKey', handle: noop },
    { method: 'GET', path: '/v1/mixed/a', role: 'admin', handle: noop },
    { method: 'GET', path: '/v1/mixed/b', role: 'public', handle: noop },
    { method: 'GET', path: '/health', role: 'public', handle: noop },
    { method: 'POST', path: '/event', role: 'apiKey', handle: noop },
    { method: 'POST', path: '/batches/:id/process', role: 'apiKey', handle: noop },
    { method: 'GET', path: '/admin/events/:id', role: 'admin', handle: noop },
    { method: 'GET', path: '/admin/metrics', role: 'admin', handle: noop },
  ];

  it.each([
    ['an unknown path under an admin prefix', 'GET', '/v1/things/1/unknown', 'admin', 404],
    ['the bare admin prefix with another method', 'PUT', '/v1/things', 'admin', 405],
    ['a bad escape under an admin prefix', 'GET', '/v1/things/%E0%A4%A', 'admin', 400],
    ['an unknown path under a key prefix', 'GET', '/v1/uploads/x/y', 'apiKey', 404],
    ['a prefix whose routes have different roles', 'GET', '/v1/mixed/c', 'public', 404],
    ['a prefix no route has', 'GET', '/v1/other/x', 'public', 404],
    ['a path of one segment', 'GET', '/nothing', 'public', 404],
    ['an unknown path under a one-segment key route', 'GET', '/event/x/y', 'apiKey', 404],
    ['another method on a one-segment key route', 'GET', '/event', 'apiKey', 405],
    [
      'a path under the static part of a route with a parameter',
      'GET',
      '/batches/1',
      'apiKey',
      404,
    ],
    ['a prefix every route under it shares', 'GET', '/admin/other', 'admin', 404],
    ['a public one-segment route', 'GET', '/health/x', 'public', 404],
  ])('guards %s with %s before answering %i', (_, method, path, guard, status) => {
    const lookup = lookupRoute(guarded, request(method, path));
    expect(lookup.found).toBe(false);
    if (lookup.found) return;
    expect({ guard: lookup.guard, status: lookup.error.status }).toEqual({ guard, status });
  });

  it('finds a route with its parameters', () => {
    const lookup = lookupRoute(guarded, request('DELETE', '/v1/things/7'));
    expect(lookup).toMatchObject({ found: true, params: { id: '7' } });
  });

  it('guards a prefix by the role of its routes only', () => {
    expect(guardOf(guarded, '/v1/things')).toBe('admin');
    expect(guardOf(guarded, '/v1/thingsx/1')).toBe('public');
  });
});
