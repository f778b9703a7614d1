import type { Runtime } from '../runtime.ts';
import { buildWorkspaceDeps } from '../workspace/buildWorkspaceDeps.ts';
import {
  createFetchWorkspaceLogsHandler,
  createPollWorkspaceHandler,
  createRecordExhaustedFetchHandler,
} from '../workspace/handlers.ts';
import type { WorkspaceDeps } from '../workspace/workspaceDeps.ts';
import type { EntryPoints } from './entryPoint.ts';

/** What the Workspace subscribers are given (poll tick, fetch, exhausted fetch). */
export function workspaceDeps(runtime: Runtime): WorkspaceDeps {
  return runtime.shared('workspace', () =>
    buildWorkspaceDeps({
      config: runtime.config,
      firestore: runtime.firestore,
      publisher: runtime.publisher,
      secrets: runtime.secretBox,
      logger: runtime.logger,
      reports: runtime.overrides.workspaceReports,
    }),
  );
}

export function entryPoints(runtime: Runtime): EntryPoints {
  const deps = () => workspaceDeps(runtime);
  return {
    pollWorkspace: { signature: 'cloudevent', handler: createPollWorkspaceHandler(deps) },
    fetchWorkspaceLogs: { signature: 'cloudevent', handler: createFetchWorkspaceLogsHandler(deps) },
    recordExhaustedFetch: {
      signature: 'cloudevent',
      handler: createRecordExhaustedFetchHandler(deps),
    },
  };
}
