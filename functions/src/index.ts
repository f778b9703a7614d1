import * as functions from '@google-cloud/functions-framework';
import { isFunctionName, loadEntryPoint, loadEntryPoints, type EntryPoint } from './entryPoints.ts';
import { loadConfig } from './lib/config.ts';
import { installFrameworkHooks } from './lib/frameworkAdapter.ts';
import { setAsideMultipartBody } from './lib/streamingUploads.ts';
import { readTrackingBody } from './ingest/tracking/trackingBodies.ts';
import { Runtime } from './runtime.ts';

installFrameworkHooks([setAsideMultipartBody, readTrackingBody]);

export const runtime = new Runtime(loadConfig());

/**
 * The function this process serves: Cloud Functions names it in FUNCTION_TARGET (the
 * entry point it was deployed with), as the framework's own `--target` does. Only its
 * code is loaded; without a target every function is registered.
 */
const target = process.env.FUNCTION_TARGET;
const entries: [string, EntryPoint][] =
  target && isFunctionName(target)
    ? [[target, await loadEntryPoint(runtime, target)]]
    : Object.entries(await loadEntryPoints(runtime));

for (const [name, entry] of entries) {
  if (entry.signature === 'http') functions.http(name, entry.handler);
  else functions.cloudEvent(name, entry.handler);
}
