/**
 * One cold start, as Cloud Functions serves a function: the built JavaScript of
 * `dist/` imported with FUNCTION_TARGET naming the function, then served on 127.0.0.1.
 * `node scripts/bench/coldStartServe.ts <function|floor> <port>`. The floor is a bare
 * function that loads the framework and the Pub/Sub and Firestore clients, as every
 * function does, and nothing else.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [target = '', port = ''] = process.argv.slice(2);
const functions = await import('@google-cloud/functions-framework');
if (target === 'floor') {
  await Promise.all([import('@google-cloud/pubsub'), import('@google-cloud/firestore')]);
  functions.http('floor', (_req, res) => {
    res.status(200).json({ status: 'ok' });
  });
} else {
  process.env.FUNCTION_TARGET = target;
  const built = join(
    import.meta.dirname,
    '..',
    '..',
    'dist',
    'functions',
    'src',
    'bundle',
    'index.js',
  );
  await import(pathToFileURL(built).href);
}
const { getTestServer } = await import('@google-cloud/functions-framework/testing');
getTestServer(target).listen(Number(port), '127.0.0.1');
process.once('SIGTERM', () => process.exit(0));
