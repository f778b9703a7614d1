import type { HttpFunction, Request, Response } from '@google-cloud/functions-framework';
import { authenticateApiKey } from '../ingest/authenticateKey.ts';
import { answerError, requireUtf8JsonBody } from '../lib/http.ts';
import { admitIdempotencyHeader } from '../lib/idempotencyHeader.ts';
import { livenessRoute } from '../lib/liveness.ts';
import { metricsRoutes } from '../metrics/metricsRoutes.ts';
import { traceFields } from '../lib/logger.ts';
import {
  lookupRoute,
  type Principal,
  type Role,
  type Route,
  type RouteLookup,
} from '../lib/router.ts';
import { deliveryRoutes } from '../webhooks/deliveryRoutes.ts';
import { endpointRoutes } from '../webhooks/endpointRoutes.ts';
import { operatorUploadRoutes } from '../uploads/operatorUploadRoutes.ts';
import { uploadRoutes } from '../uploads/uploadRoutes.ts';
import { sourceRoutes } from '../workspace/sourceRoutes.ts';
import { requireAdmin } from './adminAuth.ts';
import { privacyRoutes } from './privacy/regulationRoutes.ts';
import { trackingPlanRoutes } from './trackingPlan/planRoutes.ts';
import { adminRoutes } from './adminRoutes.ts';
import { apiKeyRoutes } from './apiKeyRoutes.ts';
import { consoleRoutes } from './consoleRoutes.ts';
import { eventRoutes } from './eventRoutes.ts';
import type { ApiDeps } from './apiDeps.ts';
import { checkReadiness } from './health.ts';
import { readinessSchema } from './schemas.ts';

const healthRoutes: Route<ApiDeps>[] = [
  livenessRoute<ApiDeps>('Health'),
  {
    method: 'GET',
    path: '/health/ready',
    role: 'public',
    tag: 'Health',
    summary: 'Readiness: every dependency answers, each with its latency',
    responses: {
      200: { description: 'Every check is up.', schema: readinessSchema },
      503: { description: 'At least one check is down.', schema: readinessSchema },
    },
    handle: async ({ res }, deps) => {
      const readiness = await checkReadiness(deps.readiness, deps.readinessTimeoutMs);
      res.setHeader('Cache-Control', 'no-store');
      res.status(readiness.status === 'ready' ? 200 : 503).json(readiness);
    },
  },
];

/** The `api` function's own routes (see routeTable.ts for every route it serves). */
export const apiRoutes: readonly Route<ApiDeps>[] = [
  ...healthRoutes,
  ...consoleRoutes,
  ...eventRoutes,
  ...endpointRoutes,
  ...deliveryRoutes,
  ...sourceRoutes,
  ...metricsRoutes,
  ...adminRoutes,
  ...trackingPlanRoutes,
  ...privacyRoutes,
  ...apiKeyRoutes,
  ...operatorUploadRoutes,
  ...uploadRoutes,
];

/** The operators' API: matches the route, checks its role, runs it, answers errors as JSON. */
export function createApiHandler(
  getDeps: () => ApiDeps,
  routes: readonly Route<ApiDeps>[],
): HttpFunction {
  return async (req: Request, res: Response) => {
    const deps = getDeps();
    const log = deps.logger.child(traceFields(req.headers, deps.projectId));
    let lookup: RouteLookup<ApiDeps> | undefined;
    try {
      lookup = lookupRoute(routes, req);
      // Credentials first: an unknown path under a guarded prefix answers 401, not 404.
      const apiKey = await authorize(req, lookup.found ? lookup.route.role : lookup.guard, deps);
      if (!lookup.found) throw lookup.error;
      requireUtf8JsonBody(req);
      const { route, params } = lookup;
      admitIdempotencyHeader(req, route);
      await route.handle({ req, res, params, log, ...(apiKey ? { apiKey } : {}) }, deps);
    } catch (error) {
      answerError(
        res,
        error,
        log,
        'api request failed',
        lookup?.found ? lookup.route.sendError : undefined,
      );
    }
  };
}

async function authorize(req: Request, role: Role, deps: ApiDeps): Promise<Principal | undefined> {
  if (role === 'admin') requireAdmin(req, deps.adminToken);
  if (role === 'apiKey') return authenticateApiKey(req, deps.authenticator, deps.retryAfterSeconds);
  return undefined;
}
