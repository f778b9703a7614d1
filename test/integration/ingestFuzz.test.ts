import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPipeline, type TestPipeline } from '../support/pipeline.ts';

/** Bodies a careless or hostile producer might send. */
const nearlyValidEvent = fc.record(
  {
    eventType: fc.oneof(
      fc.string(),
      fc.constantFrom('page.viewed', 'a.b', 'A.B', '.x', 'x.', 'a..b'),
      fc.integer(),
    ),
    payload: fc.oneof(fc.object(), fc.anything(), fc.constant(null)),
    occurredAt: fc.oneof(
      fc.string(),
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      fc.integer(),
    ),
    metadata: fc.anything(),
    siteId: fc.oneof(fc.string(), fc.integer()),
    userId: fc.string({ maxLength: 300 }),
    path: fc.string(),
    idempotencyKey: fc.string(),
  },
  { requiredKeys: [] },
);

const body = fc.oneof(
  fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes)),
  fc.json().map((json) => Buffer.from(json)),
  fc.string().map((text) => Buffer.from(text)),
  nearlyValidEvent.map((event) => Buffer.from(JSON.stringify(event))),
  fc
    .array(nearlyValidEvent, { maxLength: 8 })
    .map((events) => Buffer.from(JSON.stringify({ events }))),
  fc
    .integer({ min: 1, max: 60 })
    .map((depth) =>
      Buffer.from(`{"eventType":"a.b","payload":${'['.repeat(depth)}${']'.repeat(depth)}}`),
    ),
);

const request = fc.record({
  path: fc.constantFrom('/v1/events', '/v1/events/batch', '/v1/events/', '/v1/other', '/'),
  method: fc.constantFrom('POST', 'POST', 'POST', 'PUT', 'GET', 'DELETE'),
  contentType: fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=latin1',
    'text/plain',
    'application/x-www-form-urlencoded',
    '',
  ),
  idempotencyKey: fc.option(
    fc.string({ minLength: 1, maxLength: 40 }).filter((s) => /^[\x21-\x7e]+$/.test(s)),
    { nil: undefined },
  ),
  body,
});

describe('ingest under 1,000 random malformed requests', () => {
  let pipeline: TestPipeline;

  beforeAll(async () => {
    pipeline = await startTestPipeline({
      label: 'fuzz',
      env: { RATE_LIMIT_PER_SECOND: '100000', RATE_LIMIT_BURST: '100000' },
    });
  });
  afterAll(async () => {
    await pipeline.close();
  });

  it('never answers 5xx, always answers JSON, never shows a stack trace', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const headers: Record<string, string> = { authorization: `Bearer ${pipeline.apiKey}` };
        if (r.contentType) headers['content-type'] = r.contentType;
        if (r.idempotencyKey) headers['idempotency-key'] = r.idempotencyKey;
        const response = await fetch(`${pipeline.urls.ingest}${r.path}`, {
          method: r.method,
          headers,
          ...(r.method === 'GET' ? {} : { body: r.body }),
        });
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        const text = await response.text();
        expect(response.status).toBeLessThan(500);
        expect(() => JSON.parse(text) as unknown).not.toThrow();
        expect(text).not.toMatch(/\bat \S+ \(|node_modules|SyntaxError/);
      }),
      { numRuns: 1000 },
    );
    // The generator must reach the validator, not only the router.
    expect(statuses.get(400) ?? 0).toBeGreaterThan(100);
  });
});
