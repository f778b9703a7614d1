import { z } from 'zod';
import { HttpError } from '../lib/http.ts';
import { parseQuery } from '../lib/requestInput.ts';
import type { Principal, Route } from '../lib/router.ts';
import { takeUpload, uploadBodySchema } from './takeUpload.ts';
import {
  answerUpload,
  presentBatch,
  presentBatchSummary,
  uploadAnswer,
  uploadRecordSchema,
  uploadResultSchema,
  uploadSummarySchema,
} from './uploadAnswers.ts';
import type { OperatorUploadRouteDeps } from './uploadRouteDeps.ts';

const tag = 'Uploads';

const uploadAsQuerySchema = z.strictObject({
  keyId: z
    .string({ error: 'required: the id of the API key to upload for (key_…)' })
    .min(1)
    .max(100)
    .describe("The API key the upload is made for: its events are that key's, as if it sent them."),
});

const recentQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20).describe('Uploads listed, 1–100.'),
});

const withKeyId = { keyId: z.string() };

/**
 * Uploads for operators: every key's uploads, and an upload made for a chosen key with
 * the admin token (the web console's upload), through the same core as `POST /v1/uploads`.
 */
export const operatorUploadRoutes: Route<OperatorUploadRouteDeps>[] = [
  {
    method: 'POST',
    path: '/v1/admin/uploads',
    role: 'admin',
    tag,
    summary: 'Upload a CSV file of events for an API key (multipart/form-data, field "file")',
    description:
      "The same upload as POST /v1/uploads, made by an operator for the key named by `keyId`: the events are that key's (its producer), and the key's upload rate limit applies. A revoked key, a browser key or an unknown one is refused.",
    idempotencyHint: "A row's event_id column is its idempotency key.",
    query: uploadAsQuerySchema,
    body: uploadBodySchema,
    bodyMediaType: 'multipart/form-data',
    responses: {
      200: {
        description: 'The file was read to its end.',
        schema: uploadResultSchema.extend(withKeyId),
      },
      400: { description: 'No such key, a revoked or browser key, or a bad file.' },
      413: { description: 'Over the size or row limit (named in the message).' },
      415: { description: 'Not multipart/form-data.' },
      429: { description: 'Too many uploads; wait Retry-After seconds.' },
    },
    handle: async ({ req, res, log }, deps) => {
      const { keyId } = parseQuery(req, uploadAsQuerySchema);
      const principal = await uploadingKey(keyId, deps);
      const { batchId, result } = await takeUpload(req, res, principal, deps.ops.uploads, log);
      answerUpload(res, result.stop, { ...uploadAnswer(batchId, result), keyId });
    },
  },
  {
    method: 'GET',
    path: '/v1/admin/uploads',
    role: 'admin',
    tag,
    summary: 'The latest uploads of every key, newest first (without their row errors)',
    query: recentQuerySchema,
    responses: {
      200: {
        description: 'The uploads.',
        schema: z.object({ items: z.array(uploadSummarySchema.extend(withKeyId)) }),
      },
    },
    handle: async ({ req, res }, deps) => {
      const { limit } = parseQuery(req, recentQuerySchema);
      const batches = await deps.ops.uploads.batches.recent(limit);
      res.status(200).json({
        items: batches.map((batch) => ({ ...presentBatchSummary(batch), keyId: batch.keyId })),
      });
    },
  },
  {
    method: 'GET',
    path: '/v1/admin/uploads/:batchId',
    role: 'admin',
    tag,
    summary: "One upload's record, whatever key made it: counts, columns and row errors",
    responses: {
      200: { description: 'The batch record.', schema: uploadRecordSchema.extend(withKeyId) },
      404: { description: 'No such upload.' },
    },
    handle: async ({ res, params }, deps) => {
      const batch = await deps.ops.uploads.batches.get(params.batchId ?? '');
      if (!batch) throw new HttpError(404, 'not_found', 'No such upload.');
      res.status(200).json({ ...presentBatch(batch), keyId: batch.keyId });
    },
  },
];

/** The key an operator uploads for, as a request made with it would be authenticated. */
async function uploadingKey(keyId: string, deps: OperatorUploadRouteDeps): Promise<Principal> {
  const key = await deps.ops.apiKeys.findById(keyId);
  const refusal = !key
    ? 'no such API key'
    : key.revoked
      ? 'the key is revoked'
      : key.browser
        ? 'a browser key sends tracking calls only; choose a server key'
        : undefined;
  if (!key || refusal) {
    throw new HttpError(400, 'invalid_query', 'The query string is invalid.', {
      fields: [{ field: 'keyId', message: refusal ?? 'no such API key' }],
    });
  }
  return { keyId: key.keyId, name: key.name, rateLimitPerSecond: key.rateLimitPerSecond };
}
