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

/** A request whose API key was authenticated and admitted (rate limit, media type). */
export type AdmittedCall = { req: Request; res: Response; log: Logger; apiKey: Principal };

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
  /**
   * Whether the route takes an `Idempotency-Key` (or `X-Idempotency-Key`) header. On
   * every other route one is refused, with `idempotencyHint` saying what makes retries
   * safe there instead.
   */
  takesIdempotencyKey?: boolean;
  idempotencyHint?: string;
  responses?: Record<number, RouteResponse>;
};

/** One route of an HTTP function: `path` segments starting with `:` are parameters. */
export type Route<Deps> = RouteDocs & {
  method: Method;
  path: string;
  role: Role;
  /**
   * Called by web pages: answers CORS preflights and carries CORS headers for allowed
   * origins, and takes browser keys (which no other route does).
   */
  browser?: boolean;
  handle: (context: RouteContext, deps: Deps) => Promise<void> | void;
  /** Answers the route's errors in the shape its clients read; our error shape by default. */
  sendError?: (res: Response, error: HttpError) => void;
};

export type RouteMatch<Deps> = { route: Route<Deps>; params: Record<string, string> };

/**
 * A request's route, or the error to answer and the role that guards its path. The
 * caller checks the guard's credential before answering the error, so that probing
 * `/v1/admin/...` without the admin token answers 401 for every path, known or not,
 * and the route table cannot be mapped without credentials.
 */
export type RouteLookup<Deps> =
  (RouteMatch<Deps> & { found: true }) | { found: false; error: HttpError; guard: Role };

export function lookupRoute<Deps>(routes: readonly Route<Deps>[], req: Request): RouteLookup<Deps> {
  const path = routePath(req);
  const segments = path.split('/');
  const allowed: Method[] = [];
  try {
    for (const route of routes) {
      const params = matchPath(route.path.split('/'), segments);
      if (!params) continue;
      if (route.method === req.method) return { found: true, route, params };
      allowed.push(route.method);
    }
  } catch (error) {
    if (error instanceof HttpError) return { found: false, error, guard: guardOf(routes, path) };
    throw error;
  }
  const error = allowed.length > 0 ? methodNotAllowed(allowed) : notFound(path);
  return { found: false, error, guard: guardOf(routes, path) };
}

const guardsByTable = new WeakMap<readonly Route<unknown>[], Map<string, Role>>();

/**
 * The role of a path no route answers: the role shared by every route under its first
 * two segments (`/v1/admin`, `/admin/events`), else under its first (`/event`,
 * `/batches`), or `public` where the routes there differ or there are none. Only the
 * static segments of a route's path make its prefixes (`/batches/:id/process` makes
 * `/batches`).
 */
export function guardOf<Deps>(routes: readonly Route<Deps>[], path: string): Role {
  let guards = guardsByTable.get(routes as readonly Route<unknown>[]);
  if (!guards) {
    guards = new Map();
    const rolesByPrefix = new Map<string, Set<Role>>();
    for (const route of routes) {
      for (const prefix of staticPrefixes(route.path)) {
        const seen = rolesByPrefix.get(prefix) ?? new Set<Role>();
        seen.add(route.role);
        rolesByPrefix.set(prefix, seen);
      }
    }
    for (const [prefix, seen] of rolesByPrefix) {
      const [only] = seen;
      if (seen.size === 1 && only !== undefined && only !== 'public') guards.set(prefix, only);
    }
    guardsByTable.set(routes as readonly Route<unknown>[], guards);
  }
  for (const prefix of staticPrefixes(path).reverse()) {
    const guard = guards.get(prefix);
    if (guard) return guard;
  }
  return 'public';
}

/** `/a` and `/a/b` of a path, stopping at its first parameter. */
function staticPrefixes(path: string): string[] {
  const [empty, ...segments] = path.split('/');
  if (empty !== '') return [];
  const prefixes: string[] = [];
  let prefix = '';
  for (const segment of segments.slice(0, 2)) {
    if (segment === '' || segment.startsWith(':')) break;
    prefix = `${prefix}/${segment}`;
    prefixes.push(prefix);
  }
  return prefixes;
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
