import type { Route } from '../lib/router.ts';
import type { WorkspaceRouteDeps } from '../workspace/adminDeps.ts';
import { sourceRoutes } from '../workspace/sourceRoutes.ts';

/**
 * The Google Workspace → webhook service's API: `/api/sources` and `/api/sources/:id`
 * are Tributary's `/v1/sources` routes under that service's paths. Its bodies (OAuth
 * credentials in snake_case, `callbackUrl`, `logFetchInterval` in seconds) are already
 * what `/v1/sources` takes, so the routes are the same routes.
 */

const tag = 'Google Workspace → webhook service';

/** A `/v1/sources` path under the service's prefix, or undefined for one it did not have. */
export function servicePath(path: string): string | undefined {
  if (path === '/v1/sources') return '/api/sources';
  if (path === '/v1/sources/:sourceId') return '/api/sources/:sourceId';
  return undefined;
}

export const workspaceWebhookApiRoutes: Route<WorkspaceRouteDeps>[] = sourceRoutes.flatMap(
  (route) => {
    const path = servicePath(route.path);
    return path === undefined ? [] : [{ ...route, path, tag }];
  },
);
