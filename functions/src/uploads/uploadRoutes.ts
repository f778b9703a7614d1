import { HttpError } from '../lib/http.ts';
import type { Route } from '../lib/router.ts';
import { takeUpload, uploadBodySchema } from './takeUpload.ts';
import {
  answerUpload,
  presentBatch,
  uploadAnswer,
  uploadRecordSchema,
  uploadResultSchema,
} from './uploadAnswers.ts';
import type { UploadRouteDeps } from './uploadRouteDeps.ts';

/** CSV uploads: each row an event, published like the event API's, source `csv`. */
export const uploadRoutes: Route<UploadRouteDeps>[] = [
  {
    method: 'POST',
    path: '/v1/uploads',
    role: 'apiKey',
    tag: 'Uploads',
    summary: 'Upload a CSV file of events (multipart/form-data, field "file")',
    idempotencyHint: "A row's event_id column is its idempotency key.",
    body: uploadBodySchema,
    bodyMediaType: 'multipart/form-data',
    responses: {
      200: { description: 'The file was read to its end.', schema: uploadResultSchema },
      400: { description: 'Not a CSV upload, a bad header, or invalid CSV part-way.' },
      413: { description: 'Over the size or row limit (named in the message).' },
      415: { description: 'Not multipart/form-data.' },
      429: { description: 'Too many uploads; wait Retry-After seconds.' },
    },
    handle: async ({ req, res, apiKey, log }, deps) => {
      const { batchId, result } = await takeUpload(req, res, apiKey!, deps.ops.uploads, log);
      answerUpload(res, result.stop, uploadAnswer(batchId, result));
    },
  },
  {
    method: 'GET',
    path: '/v1/uploads/:batchId',
    role: 'apiKey',
    tag: 'Uploads',
    summary: 'The record of an upload made with this key',
    responses: { 200: { description: 'The batch record.', schema: uploadRecordSchema } },
    handle: async ({ res, params, apiKey }, deps) => {
      const batch = await deps.ops.uploads.batches.get(params.batchId ?? '');
      if (!batch || batch.keyId !== apiKey?.keyId)
        throw new HttpError(404, 'not_found', 'No such upload for this key.');
      res.status(200).json(presentBatch(batch));
    },
  },
];
