import type { Runtime } from '../runtime.ts';
import { buildLoaderDeps } from '../warehouse/buildLoaderDeps.ts';
import { createLoadWarehouseHandler, type LoadWarehouseDeps } from '../warehouse/handler.ts';
import type { EntryPoints } from './entryPoint.ts';
import { privacyGate } from './shared.ts';

/** What `loadWarehouse` is given, built once per runtime; its pull source closes with it. */
export function loaderDeps(runtime: Runtime): LoadWarehouseDeps {
  return runtime.shared('loader', () => {
    const { deps, pullSource } = buildLoaderDeps({
      config: runtime.config,
      pubsub: runtime.pubsub,
      firestore: runtime.firestore,
      publisher: runtime.publisher,
      warehouse: runtime.warehouse,
      logger: runtime.logger,
    });
    runtime.onClose(() => pullSource.close());
    return { ...deps, privacy: privacyGate(runtime) };
  });
}

export function entryPoints(runtime: Runtime): EntryPoints {
  return {
    loadWarehouse: {
      signature: 'cloudevent',
      handler: createLoadWarehouseHandler(() => loaderDeps(runtime)),
    },
  };
}
