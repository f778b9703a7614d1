import { apiOpenApiDocument, ingestOpenApiDocument } from '../../functions/src/routeTable.ts';
import { renderApiReference } from './apiReference.ts';

/** The reference as the code stands: producers' API first, then the operators'. */
export function currentApiReference(): string {
  return renderApiReference([
    { base: '$INGEST_URL', document: ingestOpenApiDocument() },
    { base: '$API_URL', document: apiOpenApiDocument() },
  ]);
}
