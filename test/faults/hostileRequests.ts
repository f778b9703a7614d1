import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import type { RouteEntry } from '../../functions/src/routeTable.ts';

/** Which credential a hostile request carries. */
export type Credential = 'none' | 'right' | 'other' | 'garbage' | 'basic' | 'huge';

export type HostileRequest = {
  route: RouteEntry;
  method: string;
  /** The path with its parameters replaced, already percent-encoded (or deliberately not). */
  path: string;
  query: string;
  credential: Credential;
  headers: Record<string, string>;
  body: Buffer | undefined;
  /** What the body is, for the report. */
  bodyKind: string;
  /** A write key outside the Authorization header (body or query), on routes browsers call. */
  keyElsewhere?: boolean;
};

/** Stand-ins the test replaces with the stack's browser key and an origin it allows. */
export const browserKeyMark = '$BROWSER_KEY';
export const allowedOriginMark = '$ALLOWED_ORIGIN';

let bomb: Buffer | undefined;
/** 64 MB of JSON in about 64 KB of gzip. */
function gzipBomb(): Buffer {
  bomb ??= gzipSync(
    `{"type":"page","anonymousId":"a","properties":{"blob":"${'x'.repeat(64 * 1024 * 1024)}"}}`,
    { level: 9 },
  );
  return bomb;
}

/** What pages and hostile pages send to the routes browsers call. */
type BrowserCase = {
  kind: string;
  body?: Buffer;
  headers?: Record<string, string>;
  query?: string;
  keyElsewhere?: boolean;
};
const message = (fields: Record<string, unknown>) =>
  Buffer.from(JSON.stringify({ type: 'page', anonymousId: 'a', ...fields }));
const browserCase: fc.Arbitrary<BrowserCase> = fc.oneof(
  fc.constant<BrowserCase>({
    kind: 'gzip bomb',
    body: Buffer.alloc(0),
    headers: { 'content-encoding': 'gzip', 'content-type': 'text/plain' },
  }),
  fc.integer({ min: 65 * 1024, max: 400 * 1024 }).map<BrowserCase>((bytes) => ({
    kind: 'oversized beacon',
    body: Buffer.from(
      JSON.stringify({ batch: [{ type: 'page', anonymousId: 'a', blob: 'x'.repeat(bytes) }] }),
    ),
    headers: { 'content-type': 'text/plain;charset=UTF-8', origin: allowedOriginMark },
    query: `?writeKey=${browserKeyMark}`,
    keyElsewhere: true,
  })),
  fc.string({ maxLength: 40 }).map<BrowserCase>((text) => ({
    kind: 'text/plain not JSON',
    body: Buffer.from(`${text}{"type":`),
    headers: { 'content-type': 'text/plain' },
  })),
  fc.constant<BrowserCase>({
    kind: 'keys disagree',
    body: message({ writeKey: browserKeyMark }),
    headers: { 'content-type': 'text/plain', origin: allowedOriginMark },
    keyElsewhere: true,
  }),
  fc
    .constantFrom('https://evil.example', 'null', 'https://hostile.example.evil', '')
    .map<BrowserCase>((origin) => ({
      kind: 'bad origin',
      body: message({ writeKey: browserKeyMark }),
      headers: { 'content-type': 'text/plain', origin },
      keyElsewhere: true,
    })),
  fc.constant<BrowserCase>({
    kind: 'browser key in query',
    body: message({}),
    headers: { 'content-type': 'text/plain', origin: allowedOriginMark },
    query: `?writeKey=${browserKeyMark}`,
    keyElsewhere: true,
  }),
);

const text = (maxLength = 64) => fc.string({ unit: 'binary', maxLength });

/** Path parameters: plausible ids, traversal, broken percent-encoding, long and empty-ish. */
const pathParameter = fc.oneof(
  text(40).map(encodeURIComponent),
  fc.uuid(),
  fc.constantFrom(
    'ep_AAAAAAAAAAAAAAAAAAAAAA',
    '..%2F..%2Fetc%2Fpasswd',
    '%00',
    '%ZZ',
    '%E0%A4%A',
    '%ff%fe',
    '%F0%9F%98',
    '__proto__',
    'constructor',
    ' ',
    '%20',
    "'%20OR%201=1--",
  ),
  fc.integer({ min: 200, max: 5000 }).map((n) => 'a'.repeat(n)),
);

const queryValue = fc.oneof(
  text(30).map(encodeURIComponent),
  fc.constantFrom(
    '',
    '-1',
    '0',
    '1e309',
    'NaN',
    '9999999999999999999999',
    '2026-13-45',
    '%ZZ',
    '%ff',
    '=cmd|%27%20/C%20calc%27!A0',
    'x&x=y',
  ),
);
const queryKey = fc.oneof(
  fc.constantFrom(
    'from',
    'to',
    'limit',
    'cursor',
    'pageToken',
    'status',
    'eventType',
    'date',
    'days',
    'siteId',
    'keyId',
    'metric',
    '__proto__',
    'constructor[prototype]',
    'limit[]',
  ),
  text(12).map(encodeURIComponent),
);
const query = fc
  .array(fc.tuple(queryKey, queryValue), { maxLength: 6 })
  .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`));

/** Header values fetch can send: visible ASCII and spaces, never control characters. */
const headerValue = fc
  .string({ maxLength: 200 })
  .map((value) => value.replace(/[^\x20-\x7e]/g, '').trim());

const extraHeaders = fc.dictionary(
  fc.constantFrom(
    'idempotency-key',
    'x-forwarded-for',
    'x-cloud-trace-context',
    'traceparent',
    'accept',
    'accept-encoding',
    'origin',
    'cookie',
    'x-http-method-override',
    'ce-id',
    'range',
  ),
  headerValue,
  { maxKeys: 4 },
);

const contentType = fc.option(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=latin1',
    'application/json; charset=nope',
    'text/plain',
    'text/csv',
    'application/x-www-form-urlencoded',
    'application/octet-stream',
    'multipart/form-data',
    'multipart/form-data; boundary=',
    'multipart/form-data; boundary=hostile',
    'application/cloudevents+json',
    'application/*',
    ';;;',
  ),
  { nil: undefined },
);

/** Mostly none: a content encoding is refused before anything else is looked at. */
const contentEncoding = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 9 },
  { arbitrary: fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'x-what'), weight: 1 },
);

/** Cells a spreadsheet would run as formulas, and other hostile CSV. */
const csvCell = fc.oneof(
  fc.constantFrom(
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://169.254.169.254/","x")',
    '+SUM(1,1)',
    '-2+3',
    '@SUM(A1)',
    '\t=1+1',
    '"=1+1"',
    '"unterminated',
    'a""b',
    '\r\n',
    '',
    '{"a":',
  ),
  text(30),
);
const csvHeader = fc.oneof(
  fc.constant('eventType,payload.title,payload.note'),
  fc.constant('eventType,occurredAt,siteId,userId,path,payload'),
  fc.constant('=cmd|x,eventType'),
  fc.constant('eventType,eventType'),
  fc.array(csvCell, { minLength: 1, maxLength: 5 }).map((cells) => cells.join(',')),
);
const csvFile = fc
  .tuple(
    csvHeader,
    fc.array(
      fc.tuple(
        fc.constantFrom('page.viewed', '=cmd|x', 'a.b', ''),
        fc.array(csvCell, { maxLength: 4 }),
      ),
      {
        maxLength: 20,
      },
    ),
  )
  .map(([header, rows]) =>
    [header, ...rows.map(([type, cells]) => [type, ...cells].join(','))].join('\n'),
  );

const boundary = 'hostileBoundary7MA4YWxkTrZu0gW';
const multipart = fc.oneof(
  csvFile.map((csv) => ({
    kind: 'multipart csv',
    body: Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="=cmd|x.csv"\r\nContent-Type: text/csv\r\n\r\n${csv}\r\n--${boundary}--\r\n`,
    ),
  })),
  fc.uint8Array({ maxLength: 512 }).map((bytes) => ({
    kind: 'multipart binary',
    body: Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.csv"\r\n\r\n`,
      ),
      Buffer.from(bytes),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]),
  })),
  fc.constantFrom(
    { kind: 'multipart truncated', body: Buffer.from(`--${boundary}\r\nContent-Disp`) },
    {
      kind: 'multipart without file',
      body: Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="other"\r\n\r\nx\r\n--${boundary}--\r\n`,
      ),
    },
    {
      kind: 'multipart two files',
      body: Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\neventType\na.b\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="b.csv"\r\n\r\neventType\na.b\r\n--${boundary}--\r\n`,
      ),
    },
  ),
);

/** Bodies for the JSON routes: close to valid, plainly wrong, nested, huge, not UTF-8. */
const nearlyValid = fc.record(
  {
    eventType: fc.oneof(fc.constantFrom('page.viewed', 'a.b', '', 'x'.repeat(500)), fc.string()),
    payload: fc.oneof(fc.object(), fc.anything()),
    url: fc.oneof(
      fc.constantFrom(
        'http://169.254.169.254/computeMetadata/v1/',
        'http://metadata.google.internal/',
        'http://10.0.0.1/',
        'http://[::1]/',
        'javascript:alert(1)',
        'file:///etc/passwd',
      ),
      fc.webUrl(),
    ),
    eventTypes: fc.oneof(fc.array(fc.string(), { maxLength: 60 }), fc.anything()),
    events: fc.oneof(fc.array(fc.object(), { maxLength: 5 }), fc.anything()),
    name: fc.string(),
    enabled: fc.anything(),
    graceSeconds: fc.oneof(fc.integer(), fc.double(), fc.string()),
    from: fc.oneof(
      fc.string(),
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    ),
    to: fc.oneof(
      fc.string(),
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    ),
    constructor: fc.anything(),
  },
  { requiredKeys: [] },
);

const nested = fc
  .tuple(fc.integer({ min: 10, max: 100_000 }), fc.constantFrom('[', '{"a":'))
  .map(([depth, open]) => {
    const close = open === '[' ? ']' : '}';
    return {
      kind: `nested ${depth}`,
      body: Buffer.from(
        `{"eventType":"a.b","payload":${open.repeat(depth)}1${close.repeat(depth)}}`,
      ),
    };
  });

const oversized = fc.constantFrom(1_100_000, 5_200_000, 12_000_000).map((bytes) => ({
  kind: `oversized ${bytes}`,
  body: Buffer.from(JSON.stringify({ eventType: 'a.b', payload: { blob: 'x'.repeat(bytes) } })),
}));

const invalidUtf8 = fc
  .tuple(
    fc.json(),
    fc.constantFrom(
      [0xff],
      [0xc3, 0x28],
      [0xe2, 0x82],
      [0xf0, 0x28, 0x8c, 0x28],
      [0xed, 0xa0, 0x80],
    ),
  )
  .map(([json, bad]) => ({
    kind: 'invalid utf-8',
    body: Buffer.concat([
      Buffer.from(json.slice(0, -1)),
      Buffer.from(bad),
      Buffer.from(json.slice(-1)),
    ]),
  }));

export const body = fc.oneof(
  { arbitrary: fc.constant({ kind: 'none', body: undefined as Buffer | undefined }), weight: 2 },
  {
    arbitrary: fc
      .uint8Array({ maxLength: 1024 })
      .map((b) => ({ kind: 'bytes', body: Buffer.from(b) })),
    weight: 2,
  },
  { arbitrary: fc.json().map((json) => ({ kind: 'json', body: Buffer.from(json) })), weight: 2 },
  {
    arbitrary: nearlyValid.map((value) => ({
      kind: 'nearly valid',
      body: Buffer.from(JSON.stringify(value)),
    })),
    weight: 4,
  },
  {
    arbitrary: fc
      .array(nearlyValid, { maxLength: 10 })
      .map((events) => ({ kind: 'batch', body: Buffer.from(JSON.stringify({ events })) })),
    weight: 2,
  },
  { arbitrary: nested, weight: 2 },
  {
    arbitrary: fc.constant({
      kind: 'prototype pollution',
      body: Buffer.from(
        '{"__proto__":{"admin":true},"constructor":{"prototype":{"polluted":1}},"eventType":"a.b","payload":{"__proto__":{"x":1}}}',
      ),
    }),
    weight: 1,
  },
  { arbitrary: oversized, weight: 1 },
  { arbitrary: invalidUtf8, weight: 2 },
  { arbitrary: multipart, weight: 3 },
);

/** Every route of the table, with anything a hostile client might send it. */
export function hostileRequest(routes: readonly RouteEntry[]): fc.Arbitrary<HostileRequest> {
  return fc
    .record({
      route: fc.constantFrom(...routes),
      // Mostly the route's own method, sometimes another.
      otherMethod: fc.oneof(
        { arbitrary: fc.constant(undefined), weight: 5 },
        {
          arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'),
          weight: 1,
        },
      ),
      parameters: fc.array(pathParameter, { minLength: 3, maxLength: 3 }),
      trailing: fc.constantFrom('', '', '', '/', '//', '/..', '?', '#x', '/%2e%2e'),
      query,
      credential: fc.constantFrom<Credential>(
        'none',
        'right',
        'right',
        'right',
        'other',
        'garbage',
        'basic',
        'huge',
      ),
      contentType,
      contentEncoding,
      headers: extraHeaders,
      body,
      // On the routes browsers call, one request in three is what pages send.
      browser: fc.oneof(
        { arbitrary: fc.constant(null), weight: 2 },
        { arbitrary: browserCase, weight: 1 },
      ),
    })
    .map((r) => {
      let index = 0;
      const path = r.route.path.replace(/:[A-Za-z]+/g, () => r.parameters[index++] ?? 'x');
      const method = r.otherMethod ?? r.route.method;
      const headers: Record<string, string> = { ...r.headers };
      const isMultipart = r.body.kind.startsWith('multipart');
      if (isMultipart && r.contentType === undefined)
        headers['content-type'] = `multipart/form-data; boundary=${boundary}`;
      else if (r.contentType !== undefined) headers['content-type'] = r.contentType;
      if (r.contentEncoding !== undefined) headers['content-encoding'] = r.contentEncoding;
      const sendsBody = method !== 'GET' && method !== 'HEAD' && r.body.body !== undefined;
      if (r.route.browser && method === 'POST' && r.browser !== null) {
        const chosen = r.browser;
        return {
          route: r.route,
          method,
          path,
          query: chosen.query ?? '',
          credential: r.credential,
          headers: { ...headers, ...chosen.headers },
          body: chosen.kind === 'gzip bomb' ? gzipBomb() : chosen.body,
          bodyKind: chosen.kind,
          ...(chosen.keyElsewhere ? { keyElsewhere: true } : {}),
        };
      }
      return {
        route: r.route,
        method,
        path: `${path}${r.trailing}`,
        query: r.query,
        credential: r.credential,
        headers,
        body: sendsBody ? r.body.body : undefined,
        bodyKind: sendsBody ? r.body.kind : 'none',
      };
    });
}
