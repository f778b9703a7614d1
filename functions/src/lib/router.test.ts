import type { Request } from '@google-cloud/functions-framework';
import { describe, expect, it } from 'vitest';
import { HttpError } from './http.ts';
import { matchRoute, type Route } from './router.ts';

const noop = () => undefined;
const routes: Route<unknown>[] = [
  { method: 'GET', path: '/v1/things', role: 'admin', handle: noop },
  { method: 'POST', path: '/v1/things', role: 'admin', handle: noop },
  { method: 'GET', path: '/v1/things/:id', role: 'admin', handle: noop },
  { method: 'DELETE', path: '/v1/things/:id', role: 'admin', handle: noop },
];
const request = (method: string, path: string) => ({ method, path }) as unknown as Request;

function thrown(fn: () => unknown): HttpError | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error instanceof HttpError ? error : undefined;
  }
}

describe('matchRoute', () => {
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
