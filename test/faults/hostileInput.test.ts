import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { httpRouteTable, type RouteEntry } from '../../functions/src/routeTable.ts';
import { projectRoot } from '../../scripts/lib/localStack.ts';
import { recordFault } from './faultLedger.ts';
import {
  allowedOriginMark,
  browserKeyMark,
  hostileRequest,
  type Credential,
  type HostileRequest,
} from './hostileRequests.ts';
import { csvUploadCase, type CsvUploadCase } from './hostileCsv.ts';
import { startStack, watchSecret, type StackHarness } from './stackHarness.ts';

const runs = 1500;

/** What would tell an attacker how the code is built: stack frames and file paths. */
const internals = [
  /^\s+at \S+/m,
  /\bat (?:async )?\S+ \(/,
  /node_modules/,
  /file:\/\//,
  /\.ts:\d+/,
  new RegExp(projectRoot.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
];

type Problem = { request: string; status: number; problem: string; excerpt: string };

/** The origin the suite's browser key lists. */
const allowedOrigin = 'https://hostile.example';

/** What pages send that must always be refused, whatever else the request carries. */
const alwaysRefused = new Set([
  'gzip bomb',
  'oversized beacon',
  'text/plain not JSON',
  'bad origin',
]);

describe('hostile input on every HTTP route', () => {
  let harness: StackHarness;
  let browserKey: string;

  beforeAll(async () => {
    harness = await startStack({
      label: 'hostile',
      pubsubEmulatorHost: inject('pubsubEmulatorHost'),
      firestoreEmulatorHost: inject('firestoreEmulatorHost'),
      logLevel: 'info',
      env: {
        // Reach the validators, not only the limiters (a 429 would pass the test too).
        RATE_LIMIT_PER_SECOND: '100000',
        RATE_LIMIT_BURST: '100000',
        UPLOADS_PER_MINUTE_PER_KEY: '100000',
        UPLOADS_PER_MINUTE_PER_IP: '100000',
      },
    });
  });
  afterAll(async () => {
    await harness.close();
  });

  beforeAll(async () => {
    const created = await fetch(`${harness.stack.info.apiUrl}/v1/admin/api-keys`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${harness.stack.info.adminToken}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ name: 'hostile pages', allowedOrigins: [allowedOrigin] }),
    });
    browserKey = ((await created.json()) as { key: string }).key;
    // Sent in query strings and bodies: it must never reach a log line.
    watchSecret(browserKey);
  });

  /** The browser key and its origin in place of their stand-ins. */
  function withBrowserKey(text: string): string {
    return text.replaceAll(browserKeyMark, browserKey).replaceAll(allowedOriginMark, allowedOrigin);
  }

  /** The Authorization header a request carries; empty for none. */
  function authorization(route: RouteEntry, credential: Credential): string {
    const { apiKey, adminToken } = harness.stack.info;
    const right = route.role === 'admin' ? adminToken : apiKey;
    const other = route.role === 'admin' ? apiKey : adminToken;
    const headers: Record<Credential, string> = {
      none: '',
      right: `Bearer ${right}`,
      other: `Bearer ${other}`,
      garbage: 'Bearer not-a-credential',
      basic: `Basic ${Buffer.from(`admin:${adminToken}`).toString('base64')}`,
      huge: `Bearer ${'A'.repeat(12_000)}`,
    };
    return headers[credential];
  }

  /**
   * Whether the URL a request is sent to still addresses its route's path: the URL
   * parser resolves `..` and `%2e%2e` before anything is sent, so `/stats/..` goes to
   * `/`, which is a public route of its own.
   */
  function addressesPublicRoute(request: HostileRequest): boolean {
    const base = harness.stack.info.functionUrls[request.route.function];
    const sent = new URL(`${base}${request.path}${request.query}`).pathname.replace(/\/+$/, '');
    return httpRouteTable.some(
      (route) =>
        route.function === request.route.function &&
        route.role === 'public' &&
        route.path === (sent === '' ? '/' : sent),
    );
  }

  async function send(request: HostileRequest): Promise<{ status: number; text: string }> {
    const base = harness.stack.info.functionUrls[request.route.function];
    const auth = authorization(request.route, request.credential);
    const headers = Object.fromEntries(
      Object.entries(request.headers).map(([name, value]) => [name, withBrowserKey(value)]),
    );
    const body =
      request.body && request.body.includes(browserKeyMark)
        ? Buffer.from(withBrowserKey(request.body.toString('utf8')))
        : request.body;
    const response = await fetch(`${base}${request.path}${withBrowserKey(request.query)}`, {
      method: request.method,
      headers: { ...headers, ...(auth ? { authorization: auth } : {}) },
      ...(body ? { body } : {}),
      redirect: 'manual',
      signal: AbortSignal.timeout(30_000),
    });
    return { status: response.status, text: await response.text() };
  }

  it(`answers ${runs} hostile requests across the route table without a 5xx, a crash or a stack trace`, async () => {
    const { stack } = harness;
    const pids = {
      ingest: stack.functionProcess('ingest')?.pid,
      api: stack.functionProcess('api')?.pid,
    };
    const problems: Problem[] = [];
    const statuses = new Map<string, number>();
    const routesHit = new Set<string>();
    let serverErrors = 0;
    let refusedWithoutCredential = 0;
    const browserCases = new Map<string, number>();

    await fc.assert(
      fc.asyncProperty(hostileRequest(httpRouteTable), async (request) => {
        const label = `${request.credential} ${request.method} ${request.route.function}${request.path}${request.query} [${request.bodyKind}]`;
        let answer: { status: number; text: string };
        try {
          answer = await send(request);
        } catch (error) {
          // Headers over Node's limit are refused with 431 and the connection closed before
          // any body is read; a client still uploading a large body cannot see that answer.
          // The same request without its body must then get the 431.
          const refusedHeaders = request.body
            ? await send({ ...request, body: undefined }).catch(() => undefined)
            : undefined;
          if (refusedHeaders?.status !== 431) {
            problems.push({
              request: label,
              status: 0,
              problem: 'no answer',
              excerpt: String(error),
            });
            return;
          }
          answer = refusedHeaders;
        }
        routesHit.add(`${request.route.function} ${request.route.method} ${request.route.path}`);
        statuses.set(String(answer.status), (statuses.get(String(answer.status)) ?? 0) + 1);
        if (answer.status >= 500) {
          serverErrors += 1;
          problems.push({
            request: label,
            status: answer.status,
            problem: '5xx',
            excerpt: answer.text.slice(0, 300),
          });
        }
        const leak = internals.find((pattern) => pattern.test(answer.text));
        if (leak)
          problems.push({
            request: label,
            status: answer.status,
            problem: `internals ${leak}`,
            excerpt: answer.text.slice(0, 300),
          });
        if (
          request.route.role !== 'public' &&
          request.credential !== 'right' &&
          request.method === request.route.method &&
          answer.status === 401
        )
          refusedWithoutCredential += 1;
        // A JSON body that is not UTF-8 is refused, never taken with its bytes replaced.
        if (
          request.bodyKind === 'invalid utf-8' &&
          /json/i.test(request.headers['content-type'] ?? '') &&
          answer.status < 300
        )
          problems.push({
            request: label,
            status: answer.status,
            problem: 'accepted a body that is not UTF-8',
            excerpt: answer.text.slice(0, 300),
          });
        // What pages send that can never be taken: a bomb, a beacon over 64 KB, text that is
        // not JSON, a page on an origin the key does not list, two keys that disagree.
        if (request.route.browser && request.method === 'POST') {
          const refused =
            alwaysRefused.has(request.bodyKind) ||
            (request.bodyKind === 'keys disagree' && request.credential !== 'none');
          if (
            refused ||
            request.bodyKind === 'keys disagree' ||
            request.bodyKind.startsWith('browser')
          )
            browserCases.set(request.bodyKind, (browserCases.get(request.bodyKind) ?? 0) + 1);
          if (refused && answer.status < 400)
            problems.push({
              request: label,
              status: answer.status,
              problem: `took ${request.bodyKind}`,
              excerpt: answer.text.slice(0, 300),
            });
        }
        // Refused one way or another (401, or 4xx before the route is reached), never served.
        if (
          request.route.role !== 'public' &&
          request.credential !== 'right' &&
          !request.keyElsewhere &&
          answer.status < 400 &&
          !addressesPublicRoute(request)
        )
          problems.push({
            request: label,
            status: answer.status,
            problem: 'served without its credential',
            excerpt: answer.text.slice(0, 300),
          });
      }),
      { numRuns: runs, endOnFailure: true },
    );

    // Still up, and still the same processes: nothing crashed and was restarted.
    const health = await fetch(`${stack.info.apiUrl}/health`);
    const ingestAlive = await fetch(`${stack.info.ingestUrl}/openapi.json`);
    const restarted = harness.logs.filter((line) => line.includes('restarting')).length;
    const samePids =
      stack.functionProcess('ingest')?.pid === pids.ingest &&
      stack.functionProcess('api')?.pid === pids.api;

    recordFault(inject('faultLedger'), {
      scenario: 'hostile input on every route',
      faultsInjected: runs,
      eventsSent: 0,
      lost: 0,
      duplicated: 0,
      serverErrorsOnBadInput: serverErrors,
      note: `${routesHit.size}/${httpRouteTable.length} routes; ${refusedWithoutCredential} refused without credential; browser cases ${[
        ...browserCases,
      ]
        .map(([kind, n]) => `${kind}×${n}`)
        .join(', ')}; ${problems.length} problems; statuses ${[...statuses]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([s, n]) => `${s}×${n}`)
        .join(' ')}`,
    });

    expect(problems.slice(0, 10)).toEqual([]);
    expect(serverErrors).toBe(0);
    expect(health.status).toBe(200);
    expect(ingestAlive.status).toBe(200);
    expect(restarted).toBe(0);
    expect(samePids).toBe(true);
    // Every route was reached, and the generator got past the credential checks.
    expect(routesHit.size).toBe(httpRouteTable.length);
    expect(refusedWithoutCredential).toBeGreaterThan(50);
    expect([...statuses.keys()].filter((s) => s.startsWith('2')).length).toBeGreaterThan(0);
    expect(statuses.get('400') ?? 0).toBeGreaterThan(40);
    // Every kind of browser request was sent.
    expect(browserCases.size).toBe(6);
  });

  it('takes every good row of CSV files with malformed and non-UTF-8 rows, and reports each bad one', async () => {
    const { apiUrl, adminToken } = harness.stack.info;
    const files = fc.sample(csvUploadCase, { numRuns: csvRuns, seed: 20261202 });
    const uploads: { keyId: string; goodRows: number }[] = [];
    const problems: string[] = [];
    let badRows = 0;
    for (const [index, file] of files.entries()) {
      const created = await fetch(`${apiUrl}/v1/admin/api-keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `hostile-csv-${index}` }),
      });
      const { key, keyId } = (await created.json()) as { key: string; keyId: string };
      const answer = await uploadCsv(apiUrl, key, file);
      badRows += file.badRows.length;
      const expected = {
        status: 'completed',
        insertedCount: file.goodRows,
        failedCount: file.badRows.length,
        rows: file.badRows.map((bad) => bad.row),
      };
      const actual = {
        status: answer.status,
        insertedCount: answer.insertedCount,
        failedCount: answer.failedCount,
        rows: [...new Set(answer.errors.map((error) => error.row))],
      };
      if (JSON.stringify(actual) !== JSON.stringify(expected))
        problems.push(`file ${index}: ${JSON.stringify({ expected, actual, file: file.badRows })}`);
      uploads.push({ keyId, goodRows: file.goodRows });
    }
    const processed = await processedPerKey(uploads);
    const sent = uploads.reduce((sum, upload) => sum + upload.goodRows, 0);
    const lost = uploads.reduce(
      (sum, upload, i) => sum + Math.max(0, upload.goodRows - processed[i]!),
      0,
    );
    const duplicated = uploads.reduce(
      (sum, upload, i) => sum + Math.max(0, processed[i]! - upload.goodRows),
      0,
    );
    recordFault(inject('faultLedger'), {
      scenario: 'CSV files with malformed and non-UTF-8 rows',
      faultsInjected: badRows,
      eventsSent: sent,
      lost,
      duplicated,
      serverErrorsOnBadInput: 0,
      note: `${files.length} files; ${badRows} bad rows, each to be reported with its row; ${problems.length} files answered otherwise`,
    });
    expect(problems).toEqual([]);
    expect(badRows).toBeGreaterThan(csvRuns / 2);
    expect({ lost, duplicated }).toEqual({ lost: 0, duplicated: 0 });
  });

  /** PROCESSED events per upload's key, once every upload's count is reached (at most 2 min). */
  async function processedPerKey(
    uploads: { keyId: string; goodRows: number }[],
  ): Promise<number[]> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const counts = await Promise.all(
        uploads.map(async ({ keyId }) => {
          const snapshot = await harness.firestore
            .collection('events')
            .where('producer', '==', keyId)
            .where('status', '==', 'PROCESSED')
            .count()
            .get();
          return snapshot.data().count;
        }),
      );
      if (counts.every((count, i) => count >= uploads[i]!.goodRows) || Date.now() > deadline) {
        // Anything published twice would be processed within this time.
        await new Promise((resolve) => setTimeout(resolve, 1000));
        return counts;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
});

const csvRuns = 40;

type UploadAnswer = {
  status: string;
  insertedCount: number;
  failedCount: number;
  errors: { row: number }[];
};

async function uploadCsv(apiUrl: string, key: string, file: CsvUploadCase): Promise<UploadAnswer> {
  const form = new FormData();
  form.append('file', new Blob([file.bytes], { type: 'text/csv' }), 'export.csv');
  const response = await fetch(`${apiUrl}/v1/uploads`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}` },
    body: form,
  });
  return (await response.json()) as UploadAnswer;
}
