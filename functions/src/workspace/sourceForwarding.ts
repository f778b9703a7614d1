import type { WebhookAdminDeps } from '../webhooks/adminDeps.ts';
import { registerEndpoint } from '../webhooks/endpointRoutes.ts';
import { resolveDestination } from '../webhooks/urlSafety.ts';
import type { WorkspaceSource } from './source.ts';
import { invalid } from './sourceRequests.ts';

/** The same policy as any webhook URL: https in production, no private addresses. */
export async function checkCallbackUrl(url: string, webhooks: WebhookAdminDeps): Promise<void> {
  const destination = await resolveDestination(url, webhooks.urlPolicy, webhooks.resolve);
  if (!destination.ok) throw invalid([{ field: 'callbackUrl', message: destination.message }]);
}

/**
 * A source forwards its events through a webhook endpoint of its own: every
 * `workspace.*` event whose producer is this source, signed and retried as any webhook.
 */
export async function createForwarding(
  source: WorkspaceSource,
  url: string,
  webhooks: WebhookAdminDeps,
): Promise<{ endpointId: string; secret: string }> {
  const { endpoint, secret } = await registerEndpoint(webhooks, {
    url,
    description: `Google Workspace source ${source.id}`,
    eventTypes: ['workspace.*'],
    producers: [source.id],
    sourceId: source.id,
    enabled: true,
  });
  return { endpointId: endpoint.id, secret };
}

/** Points the source's endpoint at the new URL, creates it, or removes it (null). */
export async function maintainForwarding(
  source: WorkspaceSource,
  url: string | null,
  webhooks: WebhookAdminDeps,
): Promise<{ endpointId: string | null; secret?: string }> {
  if (url === null) {
    if (source.webhookEndpointId) await webhooks.endpoints.delete(source.webhookEndpointId);
    return { endpointId: null };
  }
  if (source.webhookEndpointId) {
    const updated = await webhooks.endpoints.update(source.webhookEndpointId, (endpoint) => ({
      ...endpoint,
      url,
      updatedAt: webhooks.now(),
    }));
    if (updated) return { endpointId: updated.id };
  }
  return createForwarding(source, url, webhooks);
}
