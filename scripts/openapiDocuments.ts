/**
 * `npm run openapi:documents`: writes the functions' OpenAPI documents, as they serve
 * them at `/openapi.json`, to dist/openapi (or the folder given).
 */
import { join, resolve } from 'node:path';
import { projectRoot } from './lib/localStack.ts';
import { writeOpenApiDocuments } from './lib/openapiFiles.ts';

const folder = resolve(process.argv[2] ?? join(projectRoot, 'dist', 'openapi'));
for (const file of writeOpenApiDocuments(folder)) console.log(`wrote ${file}`);
