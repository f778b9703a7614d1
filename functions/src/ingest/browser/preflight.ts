import type { Request, Response } from '@google-cloud/functions-framework';
import { HttpError, routePath } from '../../lib/http.ts';
import type { Method } from '../../lib/router.ts';
import { storeUnavailable } from '../authenticateKey.ts';
import type { BrowserDeps } from './browserDeps.ts';
import { preflightHeaders } from './cors.ts';

/**
 * The answer to `OPTIONS` on a path that browsers call, in one place for every such
 * route: 204 with the CORS headers when some browser key allows the page's origin (a
 * preflight carries no credentials, so no one key can be asked), 403 without them
 * otherwise. Undefined for paths browsers do not call, and for an `OPTIONS` that names no
 * origin: they answer as they always did.
 */
export function answerPreflight(
  req: Request,
  res: Response,
  routes: readonly { method: Method; path: string; browser?: boolean }[],
  deps: BrowserDeps,
): true | undefined | Promise<true> {
  const origin = req.headers.origin;
  // Without an Origin it is no preflight: it is answered as any other method would be.
  if (origin === undefined) return undefined;
  const path = routePath(req);
  const methods = routes
    .filter((route) => route.browser && route.path === path)
    .map((route) => route.method);
  if (methods.length === 0) return undefined;
  res.setHeader('Vary', 'Origin');
  const answer = (allowed: boolean): true => {
    if (!allowed) {
      throw new HttpError(403, 'origin_not_allowed', `No browser key allows ${origin}.`, {
        fields: [{ field: 'Origin', message: 'is not an allowed origin of any browser key' }],
      });
    }
    for (const [name, value] of Object.entries(preflightHeaders(origin, methods)))
      res.setHeader(name, value);
    res.status(204).end();
    return true;
  };
  const allowed = deps.browserOrigins.allows(origin);
  if (allowed instanceof Promise) {
    return allowed.then(answer, () => {
      throw storeUnavailable(deps.limits.retryAfterSeconds);
    });
  }
  return answer(allowed);
}
