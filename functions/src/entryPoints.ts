import type { CloudEventFunction, HttpFunction } from '@google-cloud/functions-framework';
import type { FunctionName } from '../../infra/spec.ts';
import { createApiHandler } from './admin/apiHandler.ts';
import { createIngestHandler } from './ingest/ingestHandler.ts';
import { outsideRequestDomain } from './lib/requestDomain.ts';
import { createRecomputeMetricsHandler } from './metrics/handler.ts';
import { createProcessEventHandler, createRecordDeadLetterHandler } from './process/handlers.ts';
import { apiFunctionRoutes, ingestFunctionRoutes } from './routeTable.ts';
import type { Runtime } from './runtime.ts';
import {
  createDeliverWebhookHandler,
  createRecordExhaustedDeliveryHandler,
} from './webhooks/handlers.ts';
import { createLoadWarehouseHandler } from './warehouse/handler.ts';
import {
  createFetchWorkspaceLogsHandler,
  createPollWorkspaceHandler,
  createRecordExhaustedFetchHandler,
} from './workspace/handlers.ts';

export type EntryPoint =
  | { signature: 'http'; handler: HttpFunction }
  | { signature: 'cloudevent'; handler: CloudEventFunction };

/** Every function the spec declares, with its handler. A function missing here fails typechecking. */
export function entryPoints(runtime: Runtime): Record<FunctionName, EntryPoint> {
  const entries = handlers(runtime);
  for (const name of Object.keys(entries) as FunctionName[]) {
    entries[name] = leavingRequestDomain(entries[name]);
  }
  return entries;
}

/** Two branches only so that each handler keeps its own signature's type. */
function leavingRequestDomain(entry: EntryPoint): EntryPoint {
  return entry.signature === 'http'
    ? { signature: 'http', handler: outsideRequestDomain(entry.handler) }
    : { signature: 'cloudevent', handler: outsideRequestDomain(entry.handler) };
}

function handlers(runtime: Runtime): Record<FunctionName, EntryPoint> {
  return {
    ingest: {
      signature: 'http',
      handler: createIngestHandler(runtime.ingestDeps, ingestFunctionRoutes),
    },
    api: { signature: 'http', handler: createApiHandler(runtime.apiDeps, apiFunctionRoutes) },
    processEvent: {
      signature: 'cloudevent',
      handler: createProcessEventHandler(runtime.processDeps),
    },
    recordDeadLetter: {
      signature: 'cloudevent',
      handler: createRecordDeadLetterHandler(runtime.deadLetterDeps),
    },
    deliverWebhook: {
      signature: 'cloudevent',
      handler: createDeliverWebhookHandler(runtime.deliveryDeps),
    },
    recordExhaustedDelivery: {
      signature: 'cloudevent',
      handler: createRecordExhaustedDeliveryHandler(runtime.deliveryDeps),
    },
    loadWarehouse: {
      signature: 'cloudevent',
      handler: createLoadWarehouseHandler(runtime.loaderDeps),
    },
    recomputeMetrics: {
      signature: 'cloudevent',
      handler: createRecomputeMetricsHandler(runtime.recomputeDeps),
    },
    pollWorkspace: {
      signature: 'cloudevent',
      handler: createPollWorkspaceHandler(runtime.workspaceDeps),
    },
    fetchWorkspaceLogs: {
      signature: 'cloudevent',
      handler: createFetchWorkspaceLogsHandler(runtime.workspaceDeps),
    },
    recordExhaustedFetch: {
      signature: 'cloudevent',
      handler: createRecordExhaustedFetchHandler(runtime.workspaceDeps),
    },
  };
}
