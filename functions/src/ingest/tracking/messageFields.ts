import type { FieldError } from '../../lib/http.ts';

/** Reading one field of a tracking message: absent is fine, anything else must fit. */

const isoDateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;

export function dateField(value: unknown, field: string, errors: FieldError[]): number | undefined {
  if (value === undefined || value === null) return undefined;
  const millis = typeof value === 'string' && isoDateTime.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(millis)) {
    errors.push({ field, message: 'must be an ISO 8601 date-time with a time zone' });
    return undefined;
  }
  return millis;
}

export function optionalString(
  message: Record<string, unknown>,
  field: string,
  maxLength: number,
  errors: FieldError[],
): string | undefined {
  const value = message[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    errors.push({ field, message: `must be a string of 1 to ${maxLength} characters` });
    return undefined;
  }
  return value;
}

export function optionalObject(
  parent: Record<string, unknown>,
  field: string,
  errors: FieldError[],
  prefix = '',
): Record<string, unknown> | undefined {
  const value = parent[field];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) {
    errors.push({ field: `${prefix}${field}`, message: 'must be an object' });
    return undefined;
  }
  return value;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
