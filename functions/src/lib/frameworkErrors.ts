import express from 'express';

/**
 * The functions framework parses request bodies before our handler runs and leaves
 * its parse errors (malformed JSON, bad charset, oversized body) to Express's final
 * handler, which answers with an HTML page that carries the stack trace outside
 * production (GoogleCloudPlatform/functions-framework-nodejs#686). Every Tributary
 * answer is JSON, so the final handler of every app the framework creates is replaced
 * by one that answers in our error shape. Must run before the framework builds its
 * server, which happens after it has loaded our entry module.
 */
export function installJsonFrameworkErrors(): void {
  const application = express.application as unknown as {
    handle: (req: unknown, res: unknown, callback?: (error?: unknown) => void) => void;
    __tributaryJsonErrors?: boolean;
  };
  if (application.__tributaryJsonErrors) return;
  const originalHandle = application.handle;
  application.handle = function handle(this: unknown, req, res, callback) {
    const finish =
      callback ?? ((error?: unknown) => answerFrameworkError(res as express.Response, error));
    originalHandle.call(this, req, res, finish);
  };
  application.__tributaryJsonErrors = true;
}

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
