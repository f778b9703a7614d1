import type { Request, Response } from '@google-cloud/functions-framework';
import type { z } from 'zod';
import { HttpError, methodNotAllowed, notFound, routePath } from './http.ts';
import type { Logger } from './logger.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Who may call a route: anyone, an operator with the admin token, or a producer with
 * an API key.
 */
export type Role = 'public' | 'admin' | 'apiKey';

export const roles: readonly Role[] = ['public', 'admin', 'apiKey'];

/** The API key a request was authenticated with (never the key itself). */
export type Principal = { keyId: string; name: string; rateLimitPerSecond: number | null };

export type RouteContext = {
  req: Request;
  res: Response;
  params: Record<string, string>;
  log: Logger;
  /** Set on `apiKey` routes. */
  apiKey?: Principal;
};

/** One documented answer of a route. */
export type RouteResponse = { description: string; schema?: z.ZodType; mediaType?: string };

/**
 * What the OpenAPI document says about a route. Every field is optional: a route
 * without schemas still appears with its method, path and security.
 */
export type RouteDocs = {
  summary?: string;
  description?: string;
  tag?: string;
  query?: z.ZodType;
  body?: z.ZodType;
  /** Defaults to application/json. */
  bodyMediaType?: string;
  responses?: Record<number, RouteResponse>;
};

/** One route of an HTTP function: `path` segments starting with `:` are parameters. */
export type Route<Deps> = RouteDocs & {
  method: Method;
  path: string;
  role: Role;
  handle: (context: RouteContext, deps: Deps) => Promise<void> | void;
};

export type RouteMatch<Deps> = { route: Route<Deps>; params: Record<string, string> };

/** The route for a request, or 404 (no such path) / 405 (path exists, other method). */
export function matchRoute<Deps>(routes: readonly Route<Deps>[], req: Request): RouteMatch<Deps> {
  const path = routePath(req);
  const segments = path.split('/');
  const allowed: Method[] = [];
  for (const route of routes) {
    const params = matchPath(route.path.split('/'), segments);
    if (!params) continue;
    if (route.method === req.method) return { route, params };
    allowed.push(route.method);
  }
  if (allowed.length > 0) throw methodNotAllowed(allowed);
  throw notFound(path);
}

/** Longest path parameter: an id of ours is far shorter, a Firestore document id at most this. */
const maxParameterBytes = 1500;

/**
 * Path parameters name stored resources by id. A value that no id can have (a slash,
 * `.` or `..`, a reserved `__name__`, too long) names nothing: 404, before any read.
 */
export function isPossibleId(value: string): boolean {
  return (
    !value.includes('/') &&
    value !== '.' &&
    value !== '..' &&
    !/^__.*__$/.test(value) &&
    Buffer.byteLength(value) <= maxParameterBytes
  );
}

function matchPath(pattern: string[], segments: string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of pattern.entries()) {
    const segment = segments[index] ?? '';
    if (part.startsWith(':')) {
      if (segment === '') return undefined;
      let value: string;
      try {
        value = decodeURIComponent(segment);
      } catch {
        throw new HttpError(
          400,
          'invalid_path',
          `Path segment ${index} is not valid URL encoding.`,
        );
      }
      if (!isPossibleId(value)) return undefined;
      params[part.slice(1)] = value;
    } else if (part !== segment) {
      return undefined;
    }
  }
  return params;
}
