import type { Request } from '@google-cloud/functions-framework';
import type { z } from 'zod';
import { fieldErrors } from '../ingest/eventInput.ts';
import { defaults } from '../lib/defaults.ts';
import { HttpError, requireJsonContentType } from '../lib/http.ts';
import type { Route } from '../lib/router.ts';
import type { WebhookAdminDeps, WebhookRouteDeps } from './adminDeps.ts';
import { secretContext } from './deliverWebhook.ts';
import {
  applyUpdate,
  createEndpointSchema,
  isEndpointId,
  newEndpoint,
  newEndpointId,
  presentEndpoint,
  rotateSecretSchema,
  rotateSecrets,
  updateEndpointSchema,
  type StoredSecret,
  type WebhookEndpoint,
} from './endpoint.ts';
import { withHealth } from './endpointHealth.ts';
import { generateSigningSecret } from './signWebhook.ts';
import { resolveDestination } from './urlSafety.ts';

const base = '/v1/webhook-endpoints';
const tag = 'Webhooks';

/** Managing webhook endpoints: create, list, get, update, delete, rotate the secret. */
export const endpointRoutes: Route<WebhookRouteDeps>[] = [
  {
    method: 'POST',
    path: base,
    role: 'admin',
    tag,
    summary: 'Create a webhook endpoint; its signing secret is in this answer only',
    body: createEndpointSchema,
    handle: async ({ req, res, log }, { webhooks }) => {
      const input = parseBody(req, createEndpointSchema);
      await checkUrl(input.url, webhooks);
      const { endpoint, secret } = await registerEndpoint(webhooks, {
        url: input.url,
        description: input.description ?? null,
        eventTypes: input.eventTypes,
        enabled: input.enabled ?? true,
      });
      log.info(
        { endpointId: endpoint.id, eventTypes: endpoint.eventTypes },
        'webhook endpoint created',
      );
      // The secret is shown this once; only its ciphertext is stored.
      res.status(201).json({ ...presentEndpoint(endpoint), secret });
    },
  },
  {
    method: 'GET',
    path: base,
    role: 'admin',
    tag,
    summary: 'List the webhook endpoints with their statistics (never their secrets)',
    handle: async ({ res }, { webhooks }) => {
      // Each with its health combined from every instance's shard.
      const endpoints = await webhooks.endpoints.list();
      res.status(200).json({ endpoints: endpoints.map(presentEndpoint) });
    },
  },
  {
    method: 'GET',
    path: `${base}/:endpointId`,
    role: 'admin',
    tag,
    summary: 'One webhook endpoint with its statistics',
    handle: async ({ res, params }, { webhooks }) => {
      const endpoint = await webhooks.endpoints.getWithHealth(knownId(params.endpointId));
      if (!endpoint) throw endpointNotFound();
      res.status(200).json(presentEndpoint(endpoint));
    },
  },
  {
    method: 'PATCH',
    path: `${base}/:endpointId`,
    role: 'admin',
    tag,
    summary: 'Change an endpoint: URL, event types, description, enabled',
    body: updateEndpointSchema,
    handle: async ({ req, res, params, log }, { webhooks }) => {
      const id = knownId(params.endpointId);
      const input = parseBody(req, updateEndpointSchema);
      if (input.url !== undefined) await checkUrl(input.url, webhooks);
      const updated = await webhooks.endpoints.update(id, (current) =>
        applyUpdate(
          current,
          { ...input, ...(input.eventTypes ? { eventTypes: [...new Set(input.eventTypes)] } : {}) },
          webhooks.now(),
        ),
      );
      if (!updated) throw endpointNotFound();
      log.info({ endpointId: id, fields: Object.keys(input) }, 'webhook endpoint updated');
      res.status(200).json(await presentWithHealth(webhooks, updated));
    },
  },
  {
    method: 'DELETE',
    path: `${base}/:endpointId`,
    role: 'admin',
    tag,
    summary: 'Delete an endpoint',
    handle: async ({ res, params, log }, { webhooks }) => {
      const id = knownId(params.endpointId);
      if (!(await webhooks.endpoints.delete(id))) throw endpointNotFound();
      log.info({ endpointId: id }, 'webhook endpoint deleted');
      res.status(204).end();
    },
  },
  {
    method: 'POST',
    path: `${base}/:endpointId/rotate-secret`,
    role: 'admin',
    tag,
    summary:
      'A new signing secret, in this answer only; the previous one signs for graceSeconds more',
    body: rotateSecretSchema,
    handle: async ({ req, res, params, log }, { webhooks }) => {
      const id = knownId(params.endpointId);
      const input = parseBody(req, rotateSecretSchema, { emptyIsObject: true });
      const box = requireSecretBox(webhooks);
      const secret = generateSigningSecret();
      const now = webhooks.now();
      const grace = input.graceSeconds ?? defaults.webhookSecretGraceSeconds;
      const updated = await webhooks.endpoints.update(id, (current) => ({
        ...current,
        secrets: rotateSecrets(current.secrets, sealed(box, id, secret, now), grace, now),
        updatedAt: now,
      }));
      if (!updated) throw endpointNotFound();
      log.info({ endpointId: id, graceSeconds: grace }, 'webhook secret rotated');
      res.status(200).json({ ...(await presentWithHealth(webhooks, updated)), secret });
    },
  },
];

/**
 * Stores a new endpoint with a fresh signing secret, sealed; the secret is returned
 * this once for the caller to show. Used by the endpoint routes and by Workspace
 * sources, whose callback URL is an endpoint of their own.
 */
export async function registerEndpoint(
  webhooks: WebhookAdminDeps,
  fields: Pick<WebhookEndpoint, 'url' | 'description' | 'eventTypes' | 'enabled'> &
    Pick<WebhookEndpoint, 'producers' | 'sourceId'>,
): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  const box = requireSecretBox(webhooks);
  if ((await webhooks.endpoints.listRoutes()).length >= defaults.webhookMaxEndpoints) {
    throw new HttpError(
      409,
      'too_many_endpoints',
      `At most ${defaults.webhookMaxEndpoints} endpoints.`,
    );
  }
  const now = webhooks.now();
  const id = newEndpointId();
  const secret = generateSigningSecret();
  const endpoint = newEndpoint({ id, ...fields, secrets: [sealed(box, id, secret, now)] }, now);
  await webhooks.endpoints.create(endpoint);
  return { endpoint, secret };
}

/** An endpoint just written, shown with its health combined from the shards. */
async function presentWithHealth(
  webhooks: WebhookAdminDeps,
  endpoint: WebhookEndpoint,
): Promise<Record<string, unknown>> {
  return presentEndpoint(withHealth(endpoint, await webhooks.endpoints.listHealth(endpoint.id)));
}

function sealed(
  box: NonNullable<WebhookAdminDeps['secrets']>,
  id: string,
  secret: string,
  now: Date,
): StoredSecret {
  return { ciphertext: box.encrypt(secret, secretContext(id)), createdAt: now, expiresAt: null };
}

/** Validates a JSON body into `schema`; every problem names its field. */
export function parseBody<T>(
  req: Request,
  schema: z.ZodType<T>,
  options: { emptyIsObject?: boolean } = {},
): T {
  const empty = (req.rawBody?.length ?? 0) === 0;
  if (!(empty && options.emptyIsObject)) requireJsonContentType(req);
  const body: unknown = empty && options.emptyIsObject ? {} : req.body;
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new HttpError(400, 'invalid_request', 'The request is invalid.', {
      fields: fieldErrors(parsed.error),
    });
  }
  return parsed.data;
}

/** The URL must be safe to send to now, not only when it was first registered. */
async function checkUrl(url: string, webhooks: WebhookAdminDeps): Promise<void> {
  const destination = await resolveDestination(url, webhooks.urlPolicy, webhooks.resolve);
  if (!destination.ok) {
    throw new HttpError(400, 'invalid_request', 'The request is invalid.', {
      fields: [{ field: 'url', message: destination.message }],
    });
  }
}

function requireSecretBox(webhooks: WebhookAdminDeps): NonNullable<WebhookAdminDeps['secrets']> {
  if (!webhooks.secrets) {
    throw new HttpError(
      503,
      'not_configured',
      'Webhook secrets need ENCRYPTION_KEY to be configured.',
    );
  }
  return webhooks.secrets;
}

/** Path ids that cannot exist answer 404 without a read. */
export function knownId(id: string | undefined): string {
  if (!id || !isEndpointId(id)) throw endpointNotFound();
  return id;
}

export async function findEndpoint(
  webhooks: WebhookAdminDeps,
  id: string | undefined,
): Promise<WebhookEndpoint> {
  const endpoint = await webhooks.endpoints.get(knownId(id));
  if (!endpoint) throw endpointNotFound();
  return endpoint;
}

export function endpointNotFound(): HttpError {
  return new HttpError(404, 'not_found', 'No such webhook endpoint.');
}
