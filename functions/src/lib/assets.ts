import { join } from 'node:path';

/**
 * The folder that holds each capability's folder: `functions/src` in the source, and
 * `dist/functions/src` when built, where the build bundles the code one level below it
 * and copies the files served as they are (the console, the page tracker) beside their
 * folders, as in the source.
 */
const sourceRoot = join(import.meta.dirname, '..');

/** A file served as it is, by its path under `functions/src`. */
export function assetPath(...segments: string[]): string {
  return join(sourceRoot, ...segments);
}
