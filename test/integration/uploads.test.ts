import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collections } from '../../infra/spec.ts';
import { createApiKey } from '../../functions/src/ingest/apiKeys.ts';
import { FirestoreApiKeyRegistry } from '../../functions/src/admin/apiKeyRegistry.ts';
import { eventually, startTestPipeline, type TestPipeline } from '../support/pipeline.ts';

type UploadAnswer = {
  batchId: string;
  status: string;
  rows: number;
  insertedCount: number;
  failedCount: number;
  errors: { row: number; field: string; message: string }[];
  errorsTruncated: boolean;
  error?: { code: string; message: string; fields?: { field: string }[] };
};

function upload(
  pipeline: TestPipeline,
  csv: string | Buffer,
  options: { key: string; ip: string; field?: string },
): Promise<Response> {
  const form = new FormData();
  form.append(options.field ?? 'file', new Blob([csv], { type: 'text/csv' }), 'events.csv');
  return fetch(`${pipeline.urls.api}/v1/uploads`, {
    method: 'POST',
    headers: { authorization: `Bearer ${options.key}`, 'x-forwarded-for': options.ip },
    body: form,
  });
}

describe('CSV uploads', () => {
  let pipeline: TestPipeline;
  const newKey = async (name: string) => {
    const { key, keyId } = await createApiKey(new FirestoreApiKeyRegistry(pipeline.firestore), {
      name,
    });
    return { key, keyId };
  };

  beforeAll(async () => {
    pipeline = await startTestPipeline({
      label: 'uploads',
      env: {
        UPLOAD_MAX_ROWS: '20',
        UPLOAD_MAX_BYTES: '20000',
        UPLOADS_PER_MINUTE_PER_KEY: '4',
        UPLOADS_PER_MINUTE_PER_IP: '4',
      },
    });
  });
  afterAll(async () => {
    await pipeline.close();
  });

  /** The status records of a key's uploaded rows, once each of them is PROCESSED. */
  async function publishedBy(keyId: string, count: number): Promise<Record<string, unknown>[]> {
    return eventually(
      async () => {
        const snapshot = await pipeline.firestore
          .collection(collections.events.name)
          .where('producer', '==', keyId)
          .get();
        const docs = snapshot.docs.map((d) => d.data());
        return docs.length === count && docs.every((d) => d.status === 'PROCESSED')
          ? docs
          : undefined;
      },
      { what: `${count} rows of ${keyId} to be PROCESSED` },
    );
  }

  it('inserts the good rows, reports each bad row, and the good rows reach PROCESSED', async () => {
    const { key, keyId } = await newKey('csv-producer');
    const csv = [
      'eventType,occurredAt,siteId,userId,path,payload.title,payload.price',
      'page.viewed,2026-01-02T03:04:05Z,shop,u-1,/,Home,',
      'Not A Type,,shop,u-2,/x,Bad,',
      'order.placed,,shop,u-3,/checkout,"Order, with comma",12.50',
      'page.viewed,yesterday,shop,u-4,/,Home,',
      'page.viewed,,shop,u-5,no-slash,Home,',
      'page.viewed,,shop',
      '"page.viewed",,shop,u-7,"/multi',
      'line",Quoted,',
    ].join('\n');
    const response = await upload(pipeline, csv, { key, ip: '203.0.113.1' });
    expect(response.status).toBe(200);
    const body = (await response.json()) as UploadAnswer;
    expect(body).toMatchObject({
      status: 'completed',
      rows: 7,
      insertedCount: 3,
      failedCount: 4,
      errorsTruncated: false,
    });
    expect(body.errors.map(({ row, field }) => ({ row, field }))).toEqual([
      { row: 3, field: 'eventType' },
      { row: 5, field: 'occurredAt' },
      { row: 6, field: 'path' },
      { row: 7, field: '(row)' },
    ]);

    const batch = await pipeline.firestore
      .collection(collections.uploadBatches.name)
      .doc(body.batchId)
      .get();
    expect(batch.data()).toMatchObject({
      status: 'completed',
      keyId,
      insertedCount: 3,
      failedCount: 4,
      fileName: 'events.csv',
    });
    const record = await fetch(`${pipeline.urls.api}/v1/uploads/${body.batchId}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(await record.json()).toMatchObject({ status: 'completed', insertedCount: 3 });

    const processed = await publishedBy(keyId, 3);
    expect(processed.every((d) => d.source === 'csv')).toBe(true);
    expect(processed.map((d) => d.eventType as string).sort()).toEqual([
      'order.placed',
      'page.viewed',
      'page.viewed',
    ]);
  });

  it('reads headers as people write them: names mapped, extra columns kept, event_id making a re-upload the same events', async () => {
    const { key, keyId } = await newKey('metrics-export');
    const csv = [
      'event_id,Event Type,timestamp,user_id,note,score',
      'ev-1,test_started,2025-11-10T10:00:00Z,u-1,first try,7',
      'ev-2,test_completed,2025-11-10T10:05:00Z,u-1,,9',
      'ev-3,test_started,yesterday,u-2,,',
    ].join('\n');
    const first = await upload(pipeline, csv, { key, ip: '203.0.113.31' });
    expect(first.status).toBe(200);
    const answer = (await first.json()) as UploadAnswer & {
      duplicateCount: number;
      columns: { header: string; field: string }[];
    };
    expect(answer).toMatchObject({ rows: 3, insertedCount: 2, duplicateCount: 0, failedCount: 1 });
    expect(answer.columns).toEqual([
      { header: 'event_id', field: 'idempotencyKey' },
      { header: 'Event Type', field: 'eventType' },
      { header: 'timestamp', field: 'occurredAt' },
      { header: 'user_id', field: 'userId' },
      { header: 'note', field: 'payload.note' },
      { header: 'score', field: 'payload.score' },
    ]);
    // The bad row is named by the file's own header.
    expect(answer.errors.map(({ row, field }) => ({ row, field }))).toEqual([
      { row: 4, field: 'timestamp' },
    ]);

    // The same file again, with one row changed under its event_id: nothing goes in twice.
    const changed = csv.replace('first try', 'second try');
    const again = await upload(pipeline, changed, { key, ip: '203.0.113.32' });
    const second = (await again.json()) as UploadAnswer & { duplicateCount: number };
    expect(second).toMatchObject({ rows: 3, insertedCount: 0, duplicateCount: 1, failedCount: 2 });
    expect(second.errors.map(({ row, field }) => ({ row, field }))).toEqual([
      { row: 2, field: 'event_id' },
      { row: 4, field: 'timestamp' },
    ]);

    const processed = await publishedBy(keyId, 2);
    expect(processed.map((d) => d.eventType as string).sort()).toEqual([
      'test_completed',
      'test_started',
    ]);
  });

  it('keeps every good row when rows are malformed, each bad row an error with its row number', async () => {
    const { key, keyId } = await newKey('malformed-rows');
    const csv = [
      'eventType,payload.cell,userId',
      'row.two,=HYPERLINK("http://x","y"),u-1',
      'row.three,plain,u-2',
      '"row.four"junk,1,u-3',
      'row.five,"=SUM(A1:A2)",u-4',
      'row.six,"never closed,u-5',
      'row.seven,after,u-6',
      '',
    ].join('\r\n');
    const response = await upload(pipeline, csv, { key, ip: '203.0.113.21' });
    expect(response.status).toBe(200);
    const body = (await response.json()) as UploadAnswer;
    expect(body).toMatchObject({ status: 'completed', rows: 6, insertedCount: 3, failedCount: 3 });
    expect(body.errors.map(({ row, field }) => ({ row, field }))).toEqual([
      { row: 2, field: '(row)' },
      { row: 4, field: '(row)' },
      { row: 6, field: '(row)' },
    ]);
    expect(body.errors[0]?.message).toMatch(/quote inside unquoted column 2/);
    expect(body.errors[2]?.message).toMatch(/never closed/);
    const types = (await publishedBy(keyId, 3)).map((d) => d.eventType as string).sort();
    expect(types).toEqual(['row.five', 'row.seven', 'row.three']);
  });

  it('reads what spreadsheet programs export: BOM, CRLF, quoted newlines, ; separators, empty rows', async () => {
    const { key, keyId } = await newKey('spreadsheet');
    // As a European-locale spreadsheet saves "CSV UTF-8": BOM, ';', CRLF, trailing ';;' rows.
    const csv =
      '\ufeffeventType;userId;payload.note;payload.amount\r\n' +
      'order.placed;u-1;"two\r\nlines";12,50\r\n' +
      'order.placed;u-2;"with ""quotes"" and ; inside";3\r\n' +
      'order.placed;u-3;=1+1;4\r\n' +
      ';;;\r\n;;;\r\n\r\n';
    const response = await upload(pipeline, csv, { key, ip: '203.0.113.22' });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: 'completed',
      rows: 3,
      insertedCount: 3,
      failedCount: 0,
    });
    await publishedBy(keyId, 3);
  });

  it('makes a row that is not UTF-8 an error naming the row, and takes the others', async () => {
    const { key, keyId } = await newKey('latin1-row');
    const csv = Buffer.concat([
      Buffer.from('eventType,payload.city\npage.viewed,Paris\npage.viewed,Montr'),
      Buffer.from([0xe9]),
      Buffer.from('al\npage.viewed,K\u00f6ln\n'),
    ]);
    const response = await upload(pipeline, csv, { key, ip: '203.0.113.23' });
    const body = (await response.json()) as UploadAnswer;
    expect(body).toMatchObject({ status: 'completed', rows: 3, insertedCount: 2, failedCount: 1 });
    expect(body.errors).toEqual([
      {
        row: 3,
        field: '(row)',
        message: 'is not valid UTF-8 (byte 18 of the row); save the file as CSV UTF-8',
      },
    ]);
    await publishedBy(keyId, 2);
  });

  it('answers 429 with Retry-After past the per-key limit, and past the per-address limit', async () => {
    const { key } = await newKey('eager');
    const csv = 'eventType\npage.viewed\n';
    expect((await upload(pipeline, csv, { key, ip: '203.0.113.2' })).status).toBe(200);
    expect((await upload(pipeline, csv, { key, ip: '203.0.113.3' })).status).toBe(200);
    const limited = await upload(pipeline, csv, { key, ip: '203.0.113.5' });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await limited.json()) as UploadAnswer).error?.message).toMatch(/API key/);

    const statuses: number[] = [];
    let byAddress: Response | undefined;
    for (let i = 0; i < 4; i += 1) {
      const other = await newKey(`many-${i}`);
      const response = await upload(pipeline, csv, { key: other.key, ip: '203.0.113.4' });
      statuses.push(response.status);
      if (response.status === 429) byAddress = response;
    }
    expect(statuses).toEqual([200, 200, 429, 429]);
    expect(Number(byAddress?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await byAddress!.json()) as UploadAnswer).error?.message).toMatch(/address/);
  });

  it.each([
    [
      'too many rows',
      `eventType\n${'page.viewed\n'.repeat(21)}`,
      413,
      'too_many_rows',
      /at most 20 rows/,
    ],
    [
      'too many bytes',
      `eventType,payload.x\n${`page.viewed,${'x'.repeat(1000)}\n`.repeat(25)}`,
      413,
      'payload_too_large',
      /at most 20000 bytes/,
    ],
    [
      'a header without an event type column',
      'type,colour\npage.viewed,red\n',
      400,
      'invalid_upload',
      /cannot be read/,
    ],
    [
      'a header giving one field twice',
      'event_type,timestamp,occurred_at\npage_view,2026-01-01T00:00:00Z,2026-01-01T00:00:00Z\n',
      400,
      'invalid_upload',
      /cannot be read/,
    ],
    ['an empty file', '', 400, 'invalid_upload', /cannot be read/],
    [
      'a UTF-16 file',
      Buffer.concat([
        Buffer.from([0xff, 0xfe]),
        Buffer.from('eventType\npage.viewed\n', 'utf16le'),
      ]),
      400,
      'invalid_csv',
      /UTF-16/,
    ],
    [
      'a file that is not text',
      Buffer.from([0x50, 0x4b, 3, 4, 0, 0, 0x0a, 1, 2]),
      400,
      'invalid_csv',
      /not text/,
    ],
    [
      'a header in another encoding',
      Buffer.from('eventType,payload.café\npage.viewed,1\n', 'latin1'),
      400,
      'invalid_csv',
      /header is not UTF-8/,
    ],
  ])('refuses %s naming the limit or fault', async (name, csv, status, code, message) => {
    const { key } = await newKey(`limits-${code}`);
    const ip = `198.51.100.${status}${code.length}${name.length}`;
    const response = await upload(pipeline, csv, { key, ip });
    expect(response.status).toBe(status);
    const body = (await response.json()) as UploadAnswer;
    expect(body.error?.code).toBe(code);
    expect(body.error?.message).toMatch(message);
  });

  it('stops at the row limit after inserting the rows before it', async () => {
    const { key } = await newKey('row-limit');
    const response = await upload(pipeline, `eventType\n${'page.viewed\n'.repeat(25)}`, {
      key,
      ip: '198.51.100.77',
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({
      status: 'stopped',
      rows: 20,
      insertedCount: 20,
      error: { code: 'too_many_rows' },
    });
  });

  it('refuses a body that is not multipart, and a form without a file field', async () => {
    const { key } = await newKey('forms');
    const json = await fetch(`${pipeline.urls.api}/v1/uploads`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'text/csv',
        'x-forwarded-for': '192.0.2.10',
      },
      body: 'eventType\npage.viewed\n',
    });
    expect(json.status).toBe(415);
    const noFile = await upload(pipeline, 'eventType\na.b\n', {
      key: (await newKey('forms-2')).key,
      ip: '192.0.2.11',
      field: 'other',
    });
    expect(noFile.status).toBe(400);
    expect(((await noFile.json()) as UploadAnswer).error?.fields?.[0]?.field).toBe('file');
  });
});
