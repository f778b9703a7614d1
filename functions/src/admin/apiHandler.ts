import type { HttpFunction, Request, Response } from '@google-cloud/functions-framework';
import { HttpError, internalError, sendHttpError } from '../lib/http.ts';
import type { Logger } from '../lib/logger.ts';
import type { MetricsReader } from '../metrics/metricsReader.ts';
import { metricsRoutes } from '../metrics/metricsRoutes.ts';
import { traceFields } from '../lib/logger.ts';
import { matchRoute, type Route } from '../lib/router.ts';
import type { EventStatusStore } from '../process/eventStatusStore.ts';
import type { WebhookAdminDeps } from '../webhooks/adminDeps.ts';
import { deliveryRoutes } from '../webhooks/deliveryRoutes.ts';
import { endpointRoutes } from '../webhooks/endpointRoutes.ts';
import { requireAdmin } from './adminAuth.ts';
import { eventRoutes } from './eventRoutes.ts';

export type ApiDeps = {
  adminToken: string | undefined;
  events: EventStatusStore;
  logger: Logger;
  projectId: string;
  webhooks: WebhookAdminDeps;
  metrics: MetricsReader;
};

const healthRoutes: Route<ApiDeps>[] = [
  {
    method: 'GET',
    path: '/health',
    role: 'public',
    handle: ({ res }) => {
      res.status(200).json({ status: 'ok' });
    },
  },
];

/** Every route of the `api` function and the role it requires. */
export const apiRoutes: readonly Route<ApiDeps>[] = [
  ...healthRoutes,
  ...eventRoutes,
  ...endpointRoutes,
  ...deliveryRoutes,
  ...metricsRoutes,
];

/** The operators' API: matches the route, checks its role, runs it, answers errors as JSON. */
export function createApiHandler(
  getDeps: () => ApiDeps,
  routes: readonly Route<ApiDeps>[] = apiRoutes,
): HttpFunction {
  return async (req: Request, res: Response) => {
    const deps = getDeps();
    const log = deps.logger.child(traceFields(req.headers, deps.projectId));
    try {
      const { route, params } = matchRoute(routes, req);
      if (route.role === 'admin') requireAdmin(req, deps.adminToken);
      await route.handle({ req, res, params, log }, deps);
    } catch (error) {
      if (error instanceof HttpError) {
        sendHttpError(res, error);
        return;
      }
      log.error({ err: error }, 'api request failed');
      internalError(res);
    }
  };
}
