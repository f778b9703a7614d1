import type { Request, Response } from '@google-cloud/functions-framework';

export type FieldError = { field: string; message: string };

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
  const mediaType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (mediaType !== 'application/json' && !/^application\/[a-z0-9.+-]+\+json$/.test(mediaType)) {
    throw new HttpError(415, 'unsupported_media_type', 'Send the body as application/json.');
  }
}

/** The request path without the query string, with no trailing slash. */
export function routePath(req: Request): string {
  const path = req.path.replace(/\/+$/, '');
  return path === '' ? '/' : path;
}
