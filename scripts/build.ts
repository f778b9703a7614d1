/**
 * `npm run build`: the functions as Cloud Functions runs them, in `dist/`. esbuild bundles
 * our code (and zod, plain JavaScript used everywhere) into `dist/functions/src/bundle/`:
 * the entry, and a chunk for each function's own code, split where `entryPoints.ts`
 * imports it, so a function's cold start loads its own code as a few files instead of a
 * few hundred modules, and nothing of the other functions. Every other package stays a
 * package, installed by Cloud Functions from the manifest. The files served as they are
 * (the console, the page tracker) are copied beside their folders, as in the source
 * (`lib/assets.ts` finds them one level above the bundle). Types are checked by
 * `npm run typecheck`, not here.
 */
import { cp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';
import { projectRoot } from './lib/localStack.ts';

/** Where the deployed code is loaded from: `main` of package.json. */
export const bundleDir = join('dist', 'functions', 'src', 'bundle');

const manifest = JSON.parse(await readFile(join(projectRoot, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};
const bundled = new Set(['zod']);
const external = Object.keys(manifest.dependencies)
  .filter((name) => !bundled.has(name))
  .flatMap((name) => [name, `${name}/*`]);

await rm(join(projectRoot, 'dist', 'functions'), { recursive: true, force: true });
await build({
  absWorkingDir: projectRoot,
  entryPoints: [join('functions', 'src', 'index.ts')],
  outdir: bundleDir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  sourcemap: true,
  external,
  logLevel: 'warning',
});

const source = join(projectRoot, 'functions', 'src');
const built = join(projectRoot, 'dist', 'functions', 'src');
await cp(join(source, 'console'), join(built, 'console'), { recursive: true });
const tracker = join('ingest', 'browser', 'tracker.js');
await cp(join(source, tracker), join(built, tracker));
