import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiOpenApiDocument, ingestOpenApiDocument } from '../../functions/src/routeTable.ts';

export const documentedFunctions = ['ingest', 'api'] as const;

/**
 * Writes each HTTP function's OpenAPI document, as it serves it at `/openapi.json`, to
 * `<folder>/<function>.json`; returns the files written.
 */
export function writeOpenApiDocuments(folder: string): string[] {
  mkdirSync(folder, { recursive: true });
  const documents = { ingest: ingestOpenApiDocument(), api: apiOpenApiDocument() };
  return documentedFunctions.map((name) => {
    const file = join(folder, `${name}.json`);
    writeFileSync(file, `${JSON.stringify(documents[name], null, 2)}\n`);
    return file;
  });
}
