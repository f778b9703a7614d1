import * as functions from '@google-cloud/functions-framework';
import { entryPoints } from './entryPoints.ts';
import { loadConfig } from './lib/config.ts';
import { installJsonFrameworkErrors } from './lib/frameworkErrors.ts';
import { installStreamingUploads } from './lib/streamingUploads.ts';
import { installTrackingBodies } from './ingest/tracking/trackingBodies.ts';
import { Runtime } from './runtime.ts';

installJsonFrameworkErrors();
installStreamingUploads();
installTrackingBodies();

export const runtime = new Runtime(loadConfig());

for (const [name, entry] of Object.entries(entryPoints(runtime))) {
  if (entry.signature === 'http') functions.http(name, entry.handler);
  else functions.cloudEvent(name, entry.handler);
}
