import type { FunctionName } from '../../infra/spec.ts';
import { apiFunctionRoutes } from './entries/api.ts';
import { ingestFunctionRoutes } from './entries/ingest.ts';
import type { Method, Role } from './lib/router.ts';

export { apiFunctionRoutes, apiOpenApiDocument } from './entries/api.ts';
export { ingestFunctionRoutes, ingestOpenApiDocument } from './entries/ingest.ts';

export type RouteEntry = {
  function: FunctionName;
  method: Method;
  path: string;
  role: Role;
  /** Called by web pages: CORS, and browser keys. */
  browser?: boolean;
};

/**
 * Every route of both HTTP functions and the credential it requires: `public` (none),
 * `admin` (the admin token) or `apiKey` (a producer key). Built from the tables the
 * handlers route with, so it cannot drift from what they serve.
 */
export const httpRouteTable: readonly RouteEntry[] = [
  ...ingestFunctionRoutes.map((r) => ({
    function: 'ingest' as const,
    method: r.method,
    path: r.path,
    role: r.role,
    ...(r.browser ? { browser: true } : {}),
  })),
  ...apiFunctionRoutes.map((r) => ({
    function: 'api' as const,
    method: r.method,
    path: r.path,
    role: r.role,
  })),
];
