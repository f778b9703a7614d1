import { z } from 'zod';
import { createApiKey, visitorModes } from '../ingest/apiKeys.ts';
import { allowedOriginsSchema } from '../ingest/browser/allowedOrigins.ts';
import { HttpError } from '../lib/http.ts';
import { parseJsonBody } from '../lib/requestInput.ts';
import type { Route } from '../lib/router.ts';
import type { ApiDeps } from './apiDeps.ts';
import type { ApiKeySummary } from './apiKeyRegistry.ts';
import { apiKeySummarySchema, createdApiKeySchema } from './schemas.ts';

const createKeySchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100).describe('Who uses the key, e.g. checkout-service.'),
    rateLimitPerSecond: z
      .number()
      .positive()
      .max(100_000)
      .optional()
      .describe("The key's own limit; default: the configured one."),
    siteId: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .optional()
      .describe('The site its events belong to when they do not say (analytics SDK calls).'),
    allowedOrigins: allowedOriginsSchema
      .optional()
      .describe(
        'Makes a browser key: public, only tracking calls, only from these origins (https://shop.example, http://localhost:3000, https://*.shop.example).',
      ),
    visitors: z
      .enum(visitorModes)
      .optional()
      .describe(
        'A browser key only: how its visitors are counted. stored (default): by the anonymous id the page keeps (the tracker in localStorage). cookieless: nothing kept in the browser; ingest derives a daily visitor id from a salt, the site, the client address and the user agent, and refuses an anonymousId.',
      ),
  })
  .superRefine((input, context) => {
    if (input.visitors !== undefined && input.allowedOrigins === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['visitors'],
        message: 'only a browser key counts visitors: give allowedOrigins too',
      });
    }
  });

/** Producer API keys: created (shown once), listed without secrets, revoked. */
export const apiKeyRoutes: Route<ApiDeps>[] = [
  {
    method: 'POST',
    path: '/v1/admin/api-keys',
    role: 'admin',
    tag: 'API keys',
    summary: 'Create an API key; the key is in this answer only',
    body: createKeySchema,
    responses: { 201: { description: 'Created.', schema: createdApiKeySchema } },
    handle: async ({ req, res, log }, deps) => {
      const input = parseJsonBody(req, createKeySchema);
      const now = deps.ops.now();
      const { key, keyId } = await createApiKey(
        deps.ops.apiKeys,
        {
          name: input.name,
          ...(input.rateLimitPerSecond ? { rateLimitPerSecond: input.rateLimitPerSecond } : {}),
          ...(input.siteId ? { siteId: input.siteId } : {}),
          ...(input.allowedOrigins ? { allowedOrigins: input.allowedOrigins } : {}),
          ...(input.visitors ? { visitors: input.visitors } : {}),
        },
        now,
      );
      const visitors = input.allowedOrigins ? (input.visitors ?? 'stored') : null;
      log.info(
        { keyId, name: input.name, browser: Boolean(input.allowedOrigins), visitors },
        'api key created',
      );
      res.status(201).json({
        ...presentKey({
          keyId,
          name: input.name,
          prefix: key.slice(0, 8),
          createdAt: now,
          revokedAt: null,
          rateLimitPerSecond: input.rateLimitPerSecond ?? null,
          siteId: input.siteId ?? null,
          allowedOrigins: input.allowedOrigins ?? null,
          visitors,
        }),
        key,
        ingestUrl: deps.ops.ingestUrl,
      });
    },
  },
  {
    method: 'GET',
    path: '/v1/admin/api-keys',
    role: 'admin',
    tag: 'API keys',
    summary: 'List API keys (never the keys themselves)',
    responses: {
      200: { description: 'The keys.', schema: z.object({ items: z.array(apiKeySummarySchema) }) },
    },
    handle: async ({ res }, deps) => {
      const keys = await deps.ops.apiKeys.list(1000);
      res.status(200).json({ items: keys.map(presentKey) });
    },
  },
  {
    method: 'POST',
    path: '/v1/admin/api-keys/:keyId/revoke',
    role: 'admin',
    tag: 'API keys',
    summary: 'Revoke an API key',
    description:
      'Ingest instances cache a key lookup for API_KEY_CACHE_SECONDS (60 by default): a revoked key stops working everywhere within that window.',
    responses: {
      200: {
        description: 'Revoked (or already revoked).',
        schema: z.object({ keyId: z.string(), revoked: z.literal(true) }),
      },
      404: { description: 'No such key.' },
    },
    handle: async ({ res, params, log }, deps) => {
      const keyId = params.keyId ?? '';
      const outcome = await deps.ops.apiKeys.revoke(keyId, deps.ops.now());
      if (outcome === 'not_found') throw new HttpError(404, 'not_found', 'No such API key.');
      if (outcome === 'revoked') log.info({ keyId }, 'api key revoked');
      res.status(200).json({ keyId, revoked: true, alreadyRevoked: outcome === 'already_revoked' });
    },
  },
];

function presentKey(key: ApiKeySummary): z.infer<typeof apiKeySummarySchema> {
  return {
    keyId: key.keyId,
    name: key.name,
    prefix: key.prefix,
    createdAt: key.createdAt?.toISOString() ?? null,
    revokedAt: key.revokedAt?.toISOString() ?? null,
    revoked: key.revokedAt !== null,
    rateLimitPerSecond: key.rateLimitPerSecond,
    siteId: key.siteId,
    browser: key.allowedOrigins !== null,
    allowedOrigins: key.allowedOrigins,
    visitors: key.visitors,
  };
}
