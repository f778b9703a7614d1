/**
 * `npm run api-key:create -- --name NAME [--rate-limit N] [--site SITE] [--allowed-origin
 * ORIGIN]... [--visitors cookieless]`: creates an API key for a producer and prints it
 * once. `--site` names the site its events belong to (tracking-API calls without one take
 * their page URL's host). `--allowed-origin` (repeatable) makes a browser key, usable
 * only for tracking calls from those origins; `--visitors cookieless` makes it count
 * visitors without keeping anything in the browser. Only its hash is stored. Uses GOOGLE_CLOUD_PROJECT and, when set,
 * the emulator hosts; with neither, the running local stack.
 */
import { parseArgs } from 'node:util';
import {
  createApiKey,
  FirestoreApiKeyStore,
  visitorModes,
  type VisitorMode,
} from '../functions/src/ingest/apiKeys.ts';
import { allowedOriginsSchema } from '../functions/src/ingest/browser/allowedOrigins.ts';
import { createFirestore } from '../functions/src/lib/clients.ts';
import { loadConfig } from '../functions/src/lib/config.ts';
import { readStackInfo } from './lib/stackInfo.ts';

const { values } = parseArgs({
  options: {
    name: { type: 'string' },
    'rate-limit': { type: 'string' },
    site: { type: 'string' },
    'allowed-origin': { type: 'string', multiple: true },
    visitors: { type: 'string' },
  },
});
if (!values.name) {
  console.error(
    'usage: npm run api-key:create -- --name NAME [--rate-limit REQUESTS_PER_SECOND] [--site SITE] [--allowed-origin ORIGIN]... [--visitors stored|cookieless]',
  );
  process.exit(2);
}
const rateLimit = values['rate-limit'] === undefined ? undefined : Number(values['rate-limit']);
if (rateLimit !== undefined && !(rateLimit > 0)) {
  console.error('--rate-limit must be a positive number of requests per second');
  process.exit(2);
}
if (values.site !== undefined && (values.site === '' || values.site.length > 200)) {
  console.error('--site must be 1 to 200 characters');
  process.exit(2);
}

const origins = values['allowed-origin'];
const allowedOrigins = origins === undefined ? undefined : allowedOriginsSchema.safeParse(origins);
if (allowedOrigins && !allowedOrigins.success) {
  for (const issue of allowedOrigins.error.issues) {
    const at = typeof issue.path[0] === 'number' ? ` ${origins![issue.path[0]]}` : '';
    console.error(`--allowed-origin${at}: ${issue.message}`);
  }
  process.exit(2);
}

const visitors = values.visitors as VisitorMode | undefined;
if (visitors !== undefined && !visitorModes.includes(visitors)) {
  console.error(`--visitors must be one of ${visitorModes.join(', ')}`);
  process.exit(2);
}
if (visitors !== undefined && !allowedOrigins) {
  console.error('--visitors: only a browser key counts visitors: give --allowed-origin too');
  process.exit(2);
}

const env = { ...process.env };
if (!env.GOOGLE_CLOUD_PROJECT && !env.FIRESTORE_EMULATOR_HOST) {
  const info = await readStackInfo();
  env.GOOGLE_CLOUD_PROJECT = info.projectId;
  env.FIRESTORE_EMULATOR_HOST = info.firestoreEmulatorHost;
}
const firestore = createFirestore(loadConfig(env));
const { key, keyId } = await createApiKey(new FirestoreApiKeyStore(firestore), {
  name: values.name,
  ...(rateLimit === undefined ? {} : { rateLimitPerSecond: rateLimit }),
  ...(values.site === undefined ? {} : { siteId: values.site }),
  ...(allowedOrigins?.success ? { allowedOrigins: allowedOrigins.data } : {}),
  ...(visitors === undefined ? {} : { visitors }),
});
await firestore.terminate();
const kind = allowedOrigins
  ? `${values.name}, a browser key for ${allowedOrigins.data?.join(', ')}${visitors === 'cookieless' ? ', counting visitors without cookies' : ''}`
  : values.name;
console.log(`Created ${keyId} (${kind}). Keep this key now; it is not shown again:\n\n  ${key}\n`);
