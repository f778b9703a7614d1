import { describe, expect, it } from 'vitest';
import { classifyFailure, ReportsApiError } from './reportsError.ts';

describe('classifyFailure', () => {
  it.each([
    [{ status: undefined }, 'network'],
    [{ status: 429 }, 'quota'],
    [{ status: 403, reason: 'rateLimitExceeded' }, 'quota'],
    [{ status: 403, reason: 'quotaExceeded' }, 'quota'],
    [{ status: 403, reason: 'userRateLimitExceeded' }, 'quota'],
    [{ status: 500 }, 'server'],
    [{ status: 503 }, 'server'],
    [{ status: 401 }, 'credentials'],
    [{ status: 403, reason: 'forbidden' }, 'credentials'],
    [{ status: 400, oauthError: 'invalid_grant' }, 'credentials'],
    [{ status: 400, reason: 'invalid' }, 'request'],
  ] as const)('%o is %s', (answer, kind) => {
    expect(classifyFailure(answer)).toBe(kind);
  });

  it('retries quota, server and network failures only', () => {
    expect(new ReportsApiError('quota', 429, 'x').retriable).toBe(true);
    expect(new ReportsApiError('network', undefined, 'x').retriable).toBe(true);
    expect(new ReportsApiError('credentials', 401, 'x').retriable).toBe(false);
    expect(new ReportsApiError('request', 400, 'x').retriable).toBe(false);
  });
});
