/**
 * The console's HTML, CSS and JavaScript, and the page tracker, are served from files
 * beside the compiled code.
 */
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { projectRoot } from './lib/localStack.ts';

const relative = join('functions', 'src', 'console');
await cp(join(projectRoot, relative), join(projectRoot, 'dist', relative), { recursive: true });
const tracker = join('functions', 'src', 'ingest', 'browser', 'tracker.js');
await cp(join(projectRoot, tracker), join(projectRoot, 'dist', tracker));
