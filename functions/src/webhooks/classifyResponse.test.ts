import { describe, expect, it } from 'vitest';
import { classifyResponse } from './classifyResponse.ts';

const answer = (statusCode: number) =>
  ({ kind: 'response', statusCode, latencyMs: 12, excerpt: '' }) as const;

describe('classifyResponse', () => {
  it.each([
    [200, 'delivered'],
    [201, 'delivered'],
    [204, 'delivered'],
    [299, 'delivered'],
    [301, 'failed'],
    [302, 'failed'],
    [307, 'failed'],
    [400, 'failed'],
    [401, 'failed'],
    [403, 'failed'],
    [404, 'failed'],
    [405, 'failed'],
    [413, 'failed'],
    [422, 'failed'],
    [408, 'retry'],
    [409, 'retry'],
    [425, 'retry'],
    [429, 'retry'],
    [410, 'gone'],
    [500, 'retry'],
    [502, 'retry'],
    [503, 'retry'],
    [504, 'retry'],
    [599, 'retry'],
  ] as const)('HTTP %i → %s', (status, kind) => {
    expect(classifyResponse(answer(status)).kind).toBe(kind);
  });

  it.each([
    ['timeout', 'retry'],
    ['network', 'retry'],
    ['unsafe_url', 'failed'],
  ] as const)('%s → %s', (code, kind) => {
    const verdict = classifyResponse({ kind: 'error', code, message: 'x', latencyMs: 1 });
    expect(verdict.kind).toBe(kind);
    expect(verdict).toMatchObject({ code });
  });

  it('names the status in the code of a failure', () => {
    expect(classifyResponse(answer(404))).toMatchObject({ kind: 'failed', code: 'http_404' });
    expect(classifyResponse(answer(503))).toMatchObject({ kind: 'retry', code: 'http_503' });
  });
});
