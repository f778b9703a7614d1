import type { CloudEventFunction } from '@google-cloud/functions-framework';
import { subscriber } from '../lib/subscriber.ts';
import { fetchWorkspaceLogs } from './fetchWorkspaceLogs.ts';
import { pollWorkspace } from './pollWorkspace.ts';
import { recordExhaustedFetch } from './recordExhaustedFetch.ts';
import type { WorkspaceDeps } from './workspaceDeps.ts';

export function createPollWorkspaceHandler(getDeps: () => WorkspaceDeps): CloudEventFunction {
  return subscriber('pollWorkspace', getDeps, pollWorkspace);
}

export function createFetchWorkspaceLogsHandler(getDeps: () => WorkspaceDeps): CloudEventFunction {
  return subscriber('fetchWorkspaceLogs', getDeps, fetchWorkspaceLogs);
}

export function createRecordExhaustedFetchHandler(
  getDeps: () => WorkspaceDeps,
): CloudEventFunction {
  return subscriber('recordExhaustedFetch', getDeps, recordExhaustedFetch);
}
