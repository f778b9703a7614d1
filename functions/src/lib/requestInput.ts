import type { Request } from '@google-cloud/functions-framework';
import type { z } from 'zod';
import { HttpError, requireJsonContentType, type FieldError } from './http.ts';

/** The JSON body, validated: 415 when it is not JSON, 400 naming each bad field. */
export function parseJsonBody<T>(req: Request, schema: z.ZodType<T>): T {
  requireJsonContentType(req);
  const parsed = schema.safeParse(req.body ?? {});
  if (!parsed.success) {
    throw new HttpError(400, 'invalid_request', 'The request body is invalid.', {
      fields: issuesToFields(parsed.error, 'body'),
    });
  }
  return parsed.data;
}

/** The query string, validated: 400 naming each bad parameter. */
export function parseQuery<T>(req: Request, schema: z.ZodType<T>): T {
  const raw: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(req.query ?? {})) {
    raw[name] = Array.isArray(value) ? value[value.length - 1] : value;
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    // A query parameter is a flat name: `status`, not `status.0`.
    const fields = issuesToFields(parsed.error, 'query').map((field) => ({
      ...field,
      field: field.field.split('.')[0] ?? field.field,
    }));
    throw new HttpError(400, 'invalid_query', 'The query string is invalid.', { fields });
  }
  return parsed.data;
}

export function issuesToFields(error: z.ZodError, root: string): FieldError[] {
  return error.issues.slice(0, 20).map((issue) => ({
    field: issue.path.length > 0 ? issue.path.join('.') : root,
    message:
      issue.code === 'unrecognized_keys'
        ? `unknown field(s): ${issue.keys.join(', ')}`
        : issue.message,
  }));
}
