import express from 'express';

/**
 * Every hook into the functions framework, in one place. The framework builds an Express
 * app per function, runs its own body parsers on every request, leaves their errors to
 * Express's final handler, and runs each handler inside a `node:domain`. We rely on:
 * - hooks that see a request before the framework's parsers do (to stream uploads, to
 *   read tracking bodies as JSON whatever their declared type);
 * - parse errors reaching the final handler, which we answer as JSON;
 * - leaving the request's domain inside our handlers.
 * `frameworkAdapter.test.ts` holds the framework to each of these, so an upgrade that
 * changes one fails there rather than in production.
 */

/** Runs on a request before the framework's body parsers; calls `next` to go on. */
export type BeforeParsersHook = (
  req: express.Request,
  res: express.Response,
  next: () => void,
) => void;

type Handle = (req: unknown, res: unknown, callback?: (error?: unknown) => void) => void;

let hooks: readonly BeforeParsersHook[] = [];
let installed = false;

/**
 * Installs the hooks into every app the framework creates: they run in order before its
 * parsers, and what the framework leaves to Express's final handler is answered in our
 * JSON error shape. Call it before the framework builds its server (it does once our entry
 * module is loaded); calling it again replaces the hooks.
 */
export function installFrameworkHooks(beforeParsers: readonly BeforeParsersHook[]): void {
  hooks = beforeParsers;
  if (installed) return;
  installed = true;
  const application = express.application as unknown as { handle: Handle };
  const originalHandle = application.handle;
  application.handle = function handle(this: unknown, req, res, callback) {
    const finish =
      callback ?? ((error?: unknown) => answerFrameworkError(res as express.Response, error));
    const run = (index: number): void => {
      const hook = hooks[index];
      if (!hook) originalHandle.call(this, req, res, finish);
      else hook(req as express.Request, res as express.Response, () => run(index + 1));
    };
    run(0);
  };
}

/**
 * The framework answers parse errors (malformed JSON, a bad charset, an oversized body)
 * through Express's final handler, an HTML page with the stack trace outside production
 * (GoogleCloudPlatform/functions-framework-nodejs#686). Every Tributary answer is JSON.
 */
function answerFrameworkError(res: express.Response, error: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const status = frameworkErrorStatus(error);
  const { code, message } = describeFrameworkError(status, error);
  res.status(status).json({ error: { code, message } });
}

function frameworkErrorStatus(error: unknown): number {
  if (error === undefined) return 404;
  const status =
    (error as { status?: unknown }).status ?? (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
}

function describeFrameworkError(status: number, error: unknown): { code: string; message: string } {
  const type = (error as { type?: unknown } | undefined)?.type;
  if (type === 'entity.parse.failed')
    return { code: 'invalid_json', message: 'The body is not valid JSON.' };
  if (type === 'entity.too.large')
    return { code: 'payload_too_large', message: 'The body is too large.' };
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return { code: 'unsupported_media_type', message: 'Unsupported body encoding or charset.' };
  }
  if (status === 404) return { code: 'not_found', message: 'Not found.' };
  if (status < 500) return { code: 'bad_request', message: 'The request could not be read.' };
  return { code: 'internal', message: 'Internal error.' };
}

/**
 * The framework runs every request inside a `node:domain`, so that an error thrown from a
 * callback still answers that request. While a domain is active, Node's domain hook tags
 * every promise and async resource created (pairing it with the domain and defining a
 * `domain` property on it): in processEvent that measured more CPU per push than our own
 * code. Our handlers settle every failure through the promise they return (the framework
 * answers a rejection with 500, which Pub/Sub redelivers), so they leave the request's
 * domain before doing any work. An exception that would escape anyway reaches the
 * framework's process-level handler, which answers the latest request with 500 and
 * restarts the instance.
 */
export function outsideRequestDomain<Args extends unknown[], Result>(
  handler: (...args: Args) => Result | Promise<Result>,
): (...args: Args) => Promise<Result> {
  return async (...args) => {
    (process as NodeJS.Process & WithDomain).domain?.exit();
    return handler(...args);
  };
}

/** Set by node:domain while a domain is active; @types/node leaves it out. */
type WithDomain = { domain?: { exit(): void } | null };
