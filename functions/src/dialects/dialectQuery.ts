import type { FieldError } from '../lib/http.ts';

/**
 * A query string in another API's names (`names`: theirs → ours), for the core's
 * parser. A parameter that API does not have is an error in its own names, never
 * passed on or dropped.
 */
export function translateQuery(
  query: Record<string, unknown> | undefined,
  names: Readonly<Record<string, string>>,
): { query: Record<string, unknown>; errors: FieldError[] } {
  const translated: Record<string, unknown> = {};
  const errors: FieldError[] = [];
  for (const [name, value] of Object.entries(query ?? {})) {
    const ours = Object.hasOwn(names, name) ? names[name] : undefined;
    if (ours === undefined) {
      errors.push({
        field: name,
        message: `unknown parameter; use ${Object.keys(names).join(', ')}`,
      });
    } else translated[ours] = value;
  }
  return { query: translated, errors };
}
