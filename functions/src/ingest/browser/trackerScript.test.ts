import { Script } from 'node:vm';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { trackerScript } from './trackerScript.ts';

/** The budget for the tracker, gzipped. */
const maxGzippedBytes = 2048;

describe('the tracker script', () => {
  it(`is at most ${maxGzippedBytes} bytes gzipped`, () => {
    const { gzip } = trackerScript();
    expect(gzip.body.length).toBeLessThanOrEqual(maxGzippedBytes);
  });

  it('is served gzipped as it is, and each representation has its own ETag', () => {
    const { plain, gzip } = trackerScript();
    expect(gunzipSync(gzip.body).equals(plain.body)).toBe(true);
    expect(plain.etag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
    expect(gzip.etag).not.toBe(plain.etag);
  });

  it('depends on nothing: no import, no require, plain script in one function', () => {
    const source = trackerScript().plain.body.toString('utf8');
    expect(source).not.toMatch(/\bimport\b|\brequire\(|=>|\bconst\b|\blet\b|`/);
    // Compiled, not run: a syntax error would throw here.
    expect(() => new Script(source)).not.toThrow();
  });
});
