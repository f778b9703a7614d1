import type { AddressInfo } from 'node:net';
import * as functionsFramework from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installStreamingUploads, multipartContentType } from './streamingUploads.ts';

describe('installStreamingUploads', () => {
  let server: ReturnType<typeof getTestServer>;
  let url: string;

  beforeAll(async () => {
    installStreamingUploads();
    functionsFramework.http('streaming-probe', async (req, res) => {
      let streamed = 0;
      for await (const chunk of req) streamed += (chunk as Buffer).length;
      res.json({
        bufferedByFramework: req.rawBody?.length ?? 0,
        streamed,
        type: multipartContentType(req) ?? null,
        body: typeof req.body === 'object' && req.body !== null ? req.body : null,
      });
    });
    server = getTestServer('streaming-probe');
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('leaves a multipart body unread for the handler to stream', async () => {
    const form = new FormData();
    form.append('file', new Blob(['x'.repeat(100_000)]), 'a.csv');
    const response = await fetch(url, { method: 'POST', body: form });
    const body = (await response.json()) as Record<string, unknown>;
    expect(body.bufferedByFramework).toBe(0);
    expect(body.streamed).toBeGreaterThan(100_000);
    expect(body.type).toMatch(/^multipart\/form-data; boundary=/);
  });

  it('leaves every other body to the framework as before', async () => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(await response.json()).toMatchObject({
      bufferedByFramework: 7,
      type: null,
      body: { a: 1 },
    });
  });
});
