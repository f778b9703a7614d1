import { functions, type FunctionName } from '../../infra/spec.ts';
import type { EntryPoint, EntryPoints } from './entries/entryPoint.ts';
import { outsideRequestDomain } from './lib/frameworkAdapter.ts';
import type { Runtime } from './runtime.ts';

export type { EntryPoint } from './entries/entryPoint.ts';

type EntryModule = { entryPoints(runtime: Runtime): EntryPoints };

/**
 * Where each function the spec declares finds its handler, loaded only when that
 * function is served: a function loads its own code and the clients it uses, never the
 * others'. A function missing here fails typechecking.
 */
const entryModules: Record<FunctionName, () => Promise<EntryModule>> = {
  ingest: () => import('./entries/ingest.ts'),
  api: () => import('./entries/api.ts'),
  processEvent: () => import('./entries/processing.ts'),
  recordDeadLetter: () => import('./entries/processing.ts'),
  deliverWebhook: () => import('./entries/webhooks.ts'),
  recordExhaustedDelivery: () => import('./entries/webhooks.ts'),
  loadWarehouse: () => import('./entries/warehouse.ts'),
  recomputeMetrics: () => import('./entries/metrics.ts'),
  pollWorkspace: () => import('./entries/workspace.ts'),
  fetchWorkspaceLogs: () => import('./entries/workspace.ts'),
  recordExhaustedFetch: () => import('./entries/workspace.ts'),
  replayQuarantine: () => import('./entries/trackingPlan.ts'),
  runRegulation: () => import('./entries/privacy.ts'),
  recordFailedRegulation: () => import('./entries/privacy.ts'),
};

export function isFunctionName(name: string): name is FunctionName {
  return Object.hasOwn(entryModules, name);
}

/** One function's handler, outside the framework's request domain. */
export async function loadEntryPoint(runtime: Runtime, name: FunctionName): Promise<EntryPoint> {
  const entry = (await entryModules[name]()).entryPoints(runtime)[name];
  if (!entry) throw new Error(`The entry module of ${name} does not serve it.`);
  return leavingRequestDomain(entry);
}

/** Every function's handler: the local stack and the tests serve them all. */
export async function loadEntryPoints(runtime: Runtime): Promise<Record<FunctionName, EntryPoint>> {
  const entries = {} as Record<FunctionName, EntryPoint>;
  for (const { name } of functions) entries[name] = await loadEntryPoint(runtime, name);
  return entries;
}

/** Two branches only so that each handler keeps its own signature's type. */
function leavingRequestDomain(entry: EntryPoint): EntryPoint {
  return entry.signature === 'http'
    ? { signature: 'http', handler: outsideRequestDomain(entry.handler) }
    : { signature: 'cloudevent', handler: outsideRequestDomain(entry.handler) };
}
