import { finished } from 'node:stream';
import bodyParser from 'body-parser';
import type express from 'express';
import type { BeforeParsersHook } from '../../lib/frameworkAdapter.ts';
import { HttpError } from '../../lib/http.ts';
import { trackingPaths } from './trackingPaths.ts';

/**
 * Most a tracking body may hold once decompressed: twice the largest batch, so that an
 * oversized batch is still answered with its size, while a gzip bomb stops here.
 */
export const maxTrackingBodyBytes = 1024 * 1024;

const bodyErrorKey = Symbol.for('tributary.trackingBodyError');

const readJson = bodyParser.json({
  type: () => true,
  limit: maxTrackingBodyBytes,
  verify: (req, _res, bytes) => {
    (req as { rawBody?: Buffer }).rawBody = bytes;
  },
});

/**
 * A tracking-API body is JSON whatever it is declared as: browser SDKs send `text/plain`
 * (no preflight), RudderStack's server SDK gzipped JSON as
 * `application/x-www-form-urlencoded`. On the tracking routes the declared media type is
 * read as JSON (its parameters, such as a charset, kept) and the body is read here, by
 * the same body parser the framework uses, before the framework's own: compressed
 * bodies stop at `maxTrackingBodyBytes` once inflated (the framework's limit is 1 GB),
 * and a body that cannot be read is not answered here but left to the ingest handler,
 * which answers it after the key, with the CORS headers a browser needs to read it.
 * The body itself is untouched.
 */
export const readTrackingBody: BeforeParsersHook = (req, res, next) => {
  const request = req as express.Request & { [bodyErrorKey]?: unknown };
  if (request.method !== 'POST' || !isTrackingUrl(request.url)) {
    next();
    return;
  }
  const type = request.headers['content-type'];
  const declared = typeof type === 'string' ? type : '';
  const parameters = declared.includes(';') ? declared.slice(declared.indexOf(';')) : '';
  request.headers['content-type'] = `application/json${parameters}`;
  readJson(request, res, (error?: unknown) => {
    if (error === undefined) {
      next();
      return;
    }
    request[bodyErrorKey] = error;
    // Some refusals come before the body is read: read it off, so no parser tries again.
    if (request.complete) next();
    else {
      finished(request, next);
      request.resume();
    }
  });
};

function isTrackingUrl(url: string | undefined): boolean {
  const path = (url ?? '').split('?')[0]!.replace(/\/+$/, '');
  return trackingPaths.has(path);
}

/** Why the body of a tracking request could not be read, as the error to answer. */
export function trackingBodyError(req: object): HttpError | undefined {
  const error = (req as { [bodyErrorKey]?: unknown })[bodyErrorKey];
  if (error === undefined) return undefined;
  const { type } = error as { type?: unknown };
  const encoding = (req as express.Request).headers['content-encoding'];
  switch (type) {
    case 'entity.parse.failed':
      return new HttpError(400, 'invalid_json', 'The body is not valid JSON.', {
        fields: [{ field: 'body', message: 'is not JSON' }],
      });
    case 'entity.too.large':
      return new HttpError(
        400,
        'payload_too_large',
        `The body is over ${maxTrackingBodyBytes} bytes${encoding ? ' once decompressed' : ''}.`,
      );
    case 'charset.unsupported':
      return new HttpError(415, 'unsupported_charset', 'Send JSON as UTF-8 (charset=utf-8).', {
        fields: [{ field: 'Content-Type', message: 'the charset must be utf-8' }],
      });
    case 'encoding.unsupported':
      return new HttpError(
        415,
        'unsupported_content_encoding',
        'Send the body as it is, or compressed with gzip, deflate or br.',
        { fields: [{ field: 'Content-Encoding', message: `${String(encoding)} is not accepted` }] },
      );
  }
  // What remains with a compressed body is the decompression failing.
  if (encoding && encoding !== 'identity') {
    return new HttpError(400, 'invalid_content_encoding', `The body is not valid ${encoding}.`, {
      fields: [
        { field: 'Content-Encoding', message: `the body does not decompress as ${encoding}` },
      ],
    });
  }
  return new HttpError(400, 'bad_request', 'The body could not be read.');
}
