import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, traceFields } from './logger.ts';

function capture(): { lines: () => Record<string, unknown>[]; stream: Writable } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('logger', () => {
  it('writes Cloud Logging fields: severity and message', () => {
    const out = capture();
    createLogger({ level: 'info', destination: out.stream }).warn({ eventId: 'e1' }, 'hello');
    expect(out.lines()[0]).toMatchObject({ severity: 'WARNING', message: 'hello', eventId: 'e1' });
  });

  it('never writes keys, tokens, secrets or payloads', () => {
    const out = capture();
    const log = createLogger({ level: 'debug', destination: out.stream });
    log.info(
      {
        apiKey: 'trb_secret1',
        authorization: 'Bearer trb_secret2',
        event: { payload: { card: '4111' } },
        secret: 's3',
      },
      'x',
    );
    const text = JSON.stringify(out.lines());
    for (const secret of ['trb_secret1', 'trb_secret2', '4111', 's3'])
      expect(text).not.toContain(secret);
  });
});

describe('traceFields', () => {
  it('reads X-Cloud-Trace-Context and traceparent', () => {
    expect(traceFields({ 'x-cloud-trace-context': 'abc123/1;o=1' }, 'p')).toEqual({
      'logging.googleapis.com/trace': 'projects/p/traces/abc123',
    });
    expect(
      traceFields({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' }, 'p'),
    ).toEqual({
      'logging.googleapis.com/trace': 'projects/p/traces/4bf92f3577b34da6a3ce929d0e0e4736',
    });
    expect(traceFields({ 'x-cloud-trace-context': '<script>' }, 'p')).toEqual({});
  });
});
