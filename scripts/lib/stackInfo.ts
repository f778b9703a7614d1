import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LocalStackInfo } from './localStack.ts';
import { projectRoot } from './localStack.ts';

/** The running local stack, as `npm start` described it in `.tributary/local.json`. */
export async function readStackInfo(env: NodeJS.ProcessEnv = process.env): Promise<LocalStackInfo> {
  const file = join(env.TRIBUTARY_STATE_DIR ?? join(projectRoot, '.tributary'), 'local.json');
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LocalStackInfo;
  } catch {
    throw new Error(`No running local stack found (${file}). Start it first with: npm start`);
  }
}
