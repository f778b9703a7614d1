/** `npm run docs:api`: writes docs/API.md from the functions' OpenAPI documents. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { currentApiReference } from './lib/apiReferenceFiles.ts';
import { projectRoot } from './lib/localStack.ts';

const target = join(projectRoot, 'docs', 'API.md');
writeFileSync(target, currentApiReference());
console.log(`wrote ${target}`);
