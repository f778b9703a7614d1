import express from 'express';
import { trackingCallTypes } from './trackingMessageToEvent.ts';

type Patchable = {
  handle: (req: unknown, res: unknown, callback?: (error?: unknown) => void) => void;
  __tributaryTrackingBodies?: boolean;
};

const trackingPaths = new Set(['/v1/batch', ...trackingCallTypes.map((type) => `/v1/${type}`)]);

/**
 * A tracking-API body is JSON whatever it is declared as: RudderStack's SDK sends its
 * gzipped JSON as `application/x-www-form-urlencoded`. Left to the framework's form
 * parser, such a body is read as form fields, and one with more than a thousand `&`
 * (page URLs with query strings) is refused with 413 before any route runs. So on the
 * tracking routes the declared media type is read as JSON (its parameters, such as a
 * charset, kept), and the framework's JSON parser and our UTF-8 check see the body as
 * on every JSON route. The body itself is untouched. Must run before the framework
 * builds its server.
 */
export function installTrackingBodies(): void {
  const application = express.application as unknown as Patchable;
  if (application.__tributaryTrackingBodies) return;
  const originalHandle = application.handle;
  application.handle = function handle(this: unknown, req, res, callback) {
    const request = req as {
      method?: string;
      url?: string;
      headers: Record<string, string | string[] | undefined>;
    };
    if (request.method === 'POST' && isTrackingUrl(request.url)) {
      const type = request.headers['content-type'];
      const declared = typeof type === 'string' ? type : '';
      const parameters = declared.includes(';') ? declared.slice(declared.indexOf(';')) : '';
      request.headers['content-type'] = `application/json${parameters}`;
    }
    originalHandle.call(this, req, res, callback);
  };
  application.__tributaryTrackingBodies = true;
}

function isTrackingUrl(url: string | undefined): boolean {
  const path = (url ?? '').split('?')[0]!.replace(/\/+$/, '');
  return trackingPaths.has(path);
}
