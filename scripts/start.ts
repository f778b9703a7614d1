/** `npm start`: the whole pipeline on this machine, until Ctrl-C. */
import { EmulatorError } from './lib/emulators.ts';
import { LocalStack } from './lib/localStack.ts';

const env = process.env;
// No metadata server on a laptop: don't wait for one.
env.METADATA_SERVER_DETECTION ??= 'none';
let stack: LocalStack;
try {
  console.log('Starting Tributary locally…');
  stack = await LocalStack.start({
    ...(env.GOOGLE_CLOUD_PROJECT ? { projectId: env.GOOGLE_CLOUD_PROJECT } : {}),
    ...(env.PUBSUB_EMULATOR_HOST ? { pubsubEmulatorHost: env.PUBSUB_EMULATOR_HOST } : {}),
    ...(env.FIRESTORE_EMULATOR_HOST ? { firestoreEmulatorHost: env.FIRESTORE_EMULATOR_HOST } : {}),
    ...(env.TRIBUTARY_FUNCTIONS_PORT
      ? { functionsBasePort: Number(env.TRIBUTARY_FUNCTIONS_PORT) }
      : {}),
    ...(env.TRIBUTARY_STATE_DIR ? { stateDir: env.TRIBUTARY_STATE_DIR } : {}),
    // Only when given: otherwise the functions use Google's endpoints.
    ...(env.WORKSPACE_API_ROOT_URL ? { workspaceApiRootUrl: env.WORKSPACE_API_ROOT_URL } : {}),
    ...(env.WORKSPACE_TOKEN_URL ? { workspaceTokenUrl: env.WORKSPACE_TOKEN_URL } : {}),
  });
} catch (error) {
  console.error(error instanceof EmulatorError ? error.message : error);
  process.exit(1);
}

const { info } = stack;
console.log(`
Tributary is running (project ${info.projectId}).

  Ingest      ${info.ingestUrl}/v1/events
  API         ${info.apiUrl}
  Pub/Sub     ${info.pubsubEmulatorHost} (emulator)
  Firestore   ${info.firestoreEmulatorHost} (emulator)

  API key     ${info.apiKey}
  Admin token ${info.adminToken}

Try it:
  curl -s -X POST ${info.ingestUrl}/v1/events \\
    -H 'Authorization: Bearer ${info.apiKey}' -H 'Content-Type: application/json' \\
    -d '{"eventType":"page.viewed","payload":{"title":"Home"},"path":"/"}'
  npm run demo

These details are also in .tributary/local.json. Ctrl-C stops everything.
`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping…');
    void stack.stop().then(() => process.exit(0));
  });
}
