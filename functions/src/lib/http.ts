import { isUtf8 } from 'node:buffer';
import type { Request, Response } from '@google-cloud/functions-framework';
import { firstInvalidUtf8Offset, loneSurrogatePath } from './utf8.ts';

export type FieldError = { field: string; message: string };

/**
 * Field errors in another API's terms (`names`: ours → theirs): `eventType` becomes
 * `event_type`, and `payload.title` keeps its tail under the renamed head.
 */
export function renameFields(
  errors: FieldError[],
  names: Readonly<Record<string, string>> | undefined,
): FieldError[] {
  if (!names) return errors;
  return errors.map((error) => {
    const [head, ...rest] = error.field.split('.');
    const renamed = names[head!];
    return renamed === undefined ? error : { ...error, field: [renamed, ...rest].join('.') };
  });
}

/** Body of every error answer: a stable code, a sentence, and the fields at fault. */
export type ErrorBody = { error: { code: string; message: string; fields?: FieldError[] } };

export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fields: FieldError[] | undefined;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    code: string,
    message: string,
    options: { fields?: FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.fields = options.fields;
    this.headers = options.headers ?? {};
  }

  toBody(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.fields ? { fields: this.fields } : {}),
      },
    };
  }
}

export function sendHttpError(res: Response, error: HttpError): void {
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  res.status(error.status).json(error.toBody());
}

/**
 * An error in the shape of APIs that answer `success: false` and a message (the tracking
 * API, and the systems Tributary replaces), with our `error` object beside it, so both
 * kinds of client read it.
 */
export function sendErrorWithSuccessFlag(res: Response, error: HttpError): void {
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  res.status(error.status).json({ success: false, message: error.message, ...error.toBody() });
}

/**
 * The answer to an error a handler threw: an `HttpError` as it says (through `send`, for
 * APIs with an error shape of their own), anything else logged and answered 500.
 */
export function answerError(
  res: Response,
  error: unknown,
  log: { error: (fields: object, message: string) => void },
  what: string,
  send: (res: Response, error: HttpError) => void = sendHttpError,
): void {
  if (error instanceof HttpError) {
    send(res, error);
    return;
  }
  log.error({ err: error }, what);
  internalError(res);
}

export function internalError(res: Response): void {
  if (res.headersSent) return;
  res.status(500).json({ error: { code: 'internal', message: 'Internal error.' } });
}

export function methodNotAllowed(allowed: string[]): HttpError {
  return new HttpError(405, 'method_not_allowed', `Use ${allowed.join(' or ')}.`, {
    headers: { Allow: allowed.join(', ') },
  });
}

export function notFound(path: string): HttpError {
  return new HttpError(404, 'not_found', `No route for ${path}.`);
}

/** `Authorization: Bearer <token>` → the token, or undefined. */
export function bearerToken(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

export function requireJsonContentType(req: Request): void {
  if (!isJsonMediaType(mediaTypeOf(req))) {
    throw new HttpError(415, 'unsupported_media_type', 'Send the body as application/json.');
  }
}

/**
 * A JSON body is UTF-8, as RFC 8259 exchanges it: 415 for another declared charset, and
 * 400 `invalid_encoding` with the offset of the first bad byte for bytes that are not
 * UTF-8. The framework's parser would have turned them into U+FFFD, altering what was
 * sent, so every handler checks the raw bytes before a route reads the body. A string
 * escaping a lone surrogate (`"\ud800"`) is valid UTF-8 as bytes but cannot be stored as
 * UTF-8 text without being changed (RFC 7493, I-JSON), so it is refused the same way,
 * naming the field.
 */
export function requireUtf8JsonBody(req: Request): void {
  if (!req.rawBody || req.rawBody.length === 0 || !isJsonMediaType(mediaTypeOf(req))) return;
  const charset = declaredCharset(req.headers['content-type'] ?? '');
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new HttpError(415, 'unsupported_charset', 'Send JSON as UTF-8 (charset=utf-8).', {
      fields: [{ field: 'Content-Type', message: `charset ${charset} is not accepted; use utf-8` }],
    });
  }
  requireUtf8(req.rawBody, 'body');
  const field = loneSurrogatePath(req.rawBody, req.body);
  if (field !== undefined) {
    throw new HttpError(400, 'invalid_encoding', 'The body holds text that is not Unicode.', {
      fields: [
        {
          field,
          message:
            'holds an escaped lone surrogate (\\uD800–\\uDFFF without its pair), which UTF-8 cannot store',
        },
      ],
    });
  }
}

function mediaTypeOf(req: Request): string {
  return (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

function isJsonMediaType(mediaType: string): boolean {
  return mediaType === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType);
}

/** 400 `invalid_encoding` naming the field and the offset of the first byte that is not UTF-8. */
export function requireUtf8(bytes: Buffer | undefined, field: string): void {
  if (!bytes || bytes.length === 0 || isUtf8(bytes)) return;
  const offset = firstInvalidUtf8Offset(bytes);
  throw new HttpError(400, 'invalid_encoding', 'The body is not valid UTF-8.', {
    fields: [{ field, message: `is not valid UTF-8: invalid byte sequence at byte ${offset}` }],
  });
}

function declaredCharset(contentType: string): string | undefined {
  for (const parameter of contentType.split(';').slice(1)) {
    const [name, value] = parameter.split('=');
    if (name?.trim().toLowerCase() === 'charset')
      return (value ?? '').trim().replace(/^"|"$/g, '').toLowerCase();
  }
  return undefined;
}

/** The request path without the query string, with no trailing slash. */
export function routePath(req: Request): string {
  const path = req.path.replace(/\/+$/, '');
  return path === '' ? '/' : path;
}
