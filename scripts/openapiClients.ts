/**
 * `npm run openapi:clients`: generates a TypeScript client of each function's OpenAPI
 * document with orval into test/generated (a function per operationId), which the
 * end-to-end tests drive the local stack with. With `--check`, generates them into a
 * temporary folder instead and fails if they differ from the ones in test/generated.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'orval';
import { projectRoot } from './lib/localStack.ts';
import { documentedFunctions, writeOpenApiDocuments } from './lib/openapiFiles.ts';

const committed = join(projectRoot, 'test', 'generated');
const check = process.argv.includes('--check');
const work = mkdtempSync(join(tmpdir(), 'tributary-openapi-'));
try {
  writeOpenApiDocuments(work);
  const folder = check ? join(work, 'generated') : committed;
  for (const name of documentedFunctions) {
    await generate(
      {
        input: { target: join(work, `${name}.json`) },
        output: {
          target: join(folder, `${name}.ts`),
          client: 'fetch',
          mode: 'single',
          // The functions' URLs are known only once they run.
          baseUrl: {
            runtime: `clientBaseUrls.${name}`,
            imports: [{ name: 'clientBaseUrls', importPath: '../support/clientBaseUrls.ts' }],
          },
        },
      },
      projectRoot,
      { logLevel: 'warn' },
    );
  }
  if (check) {
    const stale = documentedFunctions.filter(
      (name) => read(join(folder, `${name}.ts`)) !== read(join(committed, `${name}.ts`)),
    );
    if (stale.length > 0) {
      console.error(
        `test/generated/{${stale.join(',')}}.ts differ from the OpenAPI documents: run npm run openapi:clients`,
      );
      process.exitCode = 1;
    } else {
      console.log('test/generated: the clients are those of the OpenAPI documents');
    }
  } else {
    for (const name of documentedFunctions) console.log(`wrote test/generated/${name}.ts`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
