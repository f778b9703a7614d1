import { defaults } from '../lib/defaults.ts';
import { HttpError } from '../lib/http.ts';
import type { Route } from '../lib/router.ts';
import type { WorkspaceRouteDeps } from './adminDeps.ts';
import { requestFetches } from './pollWorkspace.ts';
import { checkCallbackUrl, createForwarding, maintainForwarding } from './sourceForwarding.ts';
import {
  findSource,
  knownSourceId,
  parseSourceBody,
  requireSecretBox,
  sourceNotFound,
  sourceStartAt,
} from './sourceRequests.ts';
import {
  createSourceSchema,
  newSource,
  newSourceId,
  presentSource,
  updateSourceSchema,
  type WorkspaceSource,
} from './source.ts';
import { toCredentials } from './credentialsInput.ts';
import { sealCredentials } from './sourceCredentials.ts';
import {
  pollAcceptedSchema,
  sourceListSchema,
  sourceSchema,
  sourceWithSecretSchema,
} from './sourceSchemas.ts';

const base = '/v1/sources';
const tag = 'Workspace sources';

/** Managing Google Workspace sources: create, list, get, update, delete, poll now. */
export const sourceRoutes: Route<WorkspaceRouteDeps>[] = [
  {
    method: 'POST',
    path: base,
    role: 'admin',
    tag,
    summary: 'Create a Google Workspace source (credentials are stored encrypted, never shown)',
    body: createSourceSchema,
    responses: {
      201: { description: 'Created.', schema: sourceWithSecretSchema },
      400: { description: 'A field is wrong; `fields` names it.' },
    },
    handle: async ({ req, res, log }, deps) => {
      const input = parseSourceBody(req, createSourceSchema);
      const { workspace, webhooks } = deps;
      const box = requireSecretBox(workspace.secrets);
      const now = workspace.now();
      const startAt = sourceStartAt(input.startTime, now);
      if (input.callbackUrl) await checkCallbackUrl(input.callbackUrl, webhooks);
      const id = newSourceId();
      const source = newSource(
        {
          id,
          name: input.name ?? null,
          applications: [
            ...new Set(input.applications ?? defaults.workspaceDefaultApplications),
          ] as WorkspaceSource['applications'],
          lagSeconds: input.lagSeconds ?? {},
          logFetchIntervalSeconds: input.logFetchInterval ?? defaults.workspaceFetchIntervalSeconds,
          callbackUrl: input.callbackUrl ?? null,
          credentialsType: input.credentials.type,
          credentialsCiphertext: sealCredentials(box, id, toCredentials(input.credentials)),
          startAt,
        },
        now,
      );
      let webhookSecret: string | undefined;
      if (source.callbackUrl) {
        const created = await createForwarding(source, source.callbackUrl, webhooks);
        source.webhookEndpointId = created.endpointId;
        webhookSecret = created.secret;
      }
      try {
        await workspace.sources.create(source);
      } catch (error) {
        if (source.webhookEndpointId) await webhooks.endpoints.delete(source.webhookEndpointId);
        throw error;
      }
      log.info(
        {
          sourceId: id,
          applications: source.applications,
          credentialsType: source.credentialsType,
        },
        'workspace source created',
      );
      // The webhook secret is shown this once, as for any endpoint.
      res
        .status(201)
        .json({ ...presentSource(source), ...(webhookSecret ? { webhookSecret } : {}) });
    },
  },
  {
    method: 'GET',
    path: base,
    role: 'admin',
    tag,
    summary: 'List the sources with their status and cursors (never the credentials)',
    responses: { 200: { description: 'The sources.', schema: sourceListSchema } },
    handle: async ({ res }, { workspace }) => {
      const sources = await workspace.sources.list();
      const cursors = await Promise.all(sources.map((s) => workspace.sources.listCursors(s.id)));
      res
        .status(200)
        .json({ sources: sources.map((source, index) => presentSource(source, cursors[index])) });
    },
  },
  {
    method: 'GET',
    path: `${base}/:sourceId`,
    role: 'admin',
    tag,
    summary: 'One source: status, last poll, cursor per application, events fetched, gaps',
    responses: {
      200: { description: 'The source.', schema: sourceSchema },
      404: { description: 'No such source.' },
    },
    handle: async ({ res, params }, { workspace }) => {
      const source = await findSource(workspace.sources, params.sourceId);
      res.status(200).json(presentSource(source, await workspace.sources.listCursors(source.id)));
    },
  },
  {
    method: 'PUT',
    path: `${base}/:sourceId`,
    role: 'admin',
    tag,
    summary: 'Change a source; new credentials make a stopped source active again',
    body: updateSourceSchema,
    responses: {
      200: { description: 'Updated.', schema: sourceWithSecretSchema },
      400: { description: 'A field is wrong; `fields` names it.' },
      404: { description: 'No such source.' },
    },
    handle: async ({ req, res, params, log }, deps) => {
      const { workspace, webhooks } = deps;
      const id = knownSourceId(params.sourceId);
      const input = parseSourceBody(req, updateSourceSchema);
      const box = input.credentials ? requireSecretBox(workspace.secrets) : undefined;
      if (input.callbackUrl) await checkCallbackUrl(input.callbackUrl, webhooks);
      const current = await findSource(workspace.sources, id);
      const now = workspace.now();
      let webhookSecret: string | undefined;
      let endpointId = current.webhookEndpointId;
      if (input.callbackUrl !== undefined && input.callbackUrl !== current.callbackUrl) {
        const forwarding = await maintainForwarding(current, input.callbackUrl, webhooks);
        endpointId = forwarding.endpointId;
        webhookSecret = forwarding.secret;
      }
      const updated = await workspace.sources.update(id, (source) => {
        const next: WorkspaceSource = {
          ...source,
          name: input.name === undefined ? source.name : input.name,
          applications: input.applications
            ? ([...new Set(input.applications)] as WorkspaceSource['applications'])
            : source.applications,
          lagSeconds: input.lagSeconds ?? source.lagSeconds,
          logFetchIntervalSeconds: input.logFetchInterval ?? source.logFetchIntervalSeconds,
          callbackUrl: input.callbackUrl === undefined ? source.callbackUrl : input.callbackUrl,
          webhookEndpointId: endpointId,
          updatedAt: now,
        };
        if (input.credentials && box) {
          // New credentials: whatever stopped the source is worth trying again.
          return {
            ...next,
            credentialsType: input.credentials.type,
            credentialsCiphertext: sealCredentials(box, id, toCredentials(input.credentials)),
            status: input.status === 'paused' ? 'paused' : 'active',
            statusReason: null,
            lastError: null,
            consecutiveFailures: 0,
            nextPollAt: now,
          };
        }
        if (input.status === 'paused') return { ...next, status: 'paused', statusReason: 'manual' };
        if (input.status === 'active' && source.status === 'paused') {
          return { ...next, status: 'active', statusReason: null, nextPollAt: now };
        }
        return next;
      });
      if (!updated) throw sourceNotFound();
      log.info({ sourceId: id, fields: Object.keys(input) }, 'workspace source updated');
      res.status(200).json({
        ...presentSource(updated, await workspace.sources.listCursors(id)),
        ...(webhookSecret ? { webhookSecret } : {}),
      });
    },
  },
  {
    method: 'DELETE',
    path: `${base}/:sourceId`,
    role: 'admin',
    tag,
    summary: 'Delete a source, its cursors and its forwarding endpoint',
    responses: { 204: { description: 'Deleted.' }, 404: { description: 'No such source.' } },
    handle: async ({ res, params, log }, { workspace, webhooks }) => {
      const deleted = await workspace.sources.delete(knownSourceId(params.sourceId));
      if (!deleted) throw sourceNotFound();
      if (deleted.webhookEndpointId) await webhooks.endpoints.delete(deleted.webhookEndpointId);
      log.info({ sourceId: deleted.id }, 'workspace source deleted');
      res.status(204).end();
    },
  },
  {
    method: 'POST',
    path: `${base}/:sourceId/poll`,
    role: 'admin',
    tag,
    summary: 'Poll a source now, outside its schedule (202: the fetches are queued)',
    responses: {
      202: { description: 'The fetches are queued.', schema: pollAcceptedSchema },
      404: { description: 'No such source.' },
      409: { description: 'Paused, credentials invalid, or backing off (see Retry-After).' },
    },
    handle: async ({ res, params, log }, { workspace }) => {
      const source = await findSource(workspace.sources, params.sourceId);
      if (source.status === 'credentials_invalid' || source.status === 'paused') {
        throw new HttpError(
          409,
          source.status,
          source.status === 'paused'
            ? 'The source is paused; set its status to active first.'
            : 'The source has invalid credentials; update them first.',
        );
      }
      const now = workspace.now();
      if (source.status === 'backing_off' && source.nextPollAt > now) {
        const seconds = Math.ceil((source.nextPollAt.getTime() - now.getTime()) / 1000);
        // Polling now would spend the quota the backoff is waiting for.
        throw new HttpError(
          409,
          'backing_off',
          `The source backs off after ${source.lastError?.code ?? 'errors'} until ${source.nextPollAt.toISOString()}.`,
          { headers: { 'Retry-After': String(seconds) } },
        );
      }
      await requestFetches(source, 'manual', workspace);
      log.info({ sourceId: source.id }, 'workspace poll requested');
      res.status(202).json({ sourceId: source.id, applications: source.applications });
    },
  },
];
