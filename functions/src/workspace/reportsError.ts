/**
 * What a failed Reports API or token call means for the source:
 * - `credentials`: refused credentials (401, `invalid_grant`, 403 not authorized); polling
 *   stops until an operator updates them;
 * - `quota` and `server`: back off and retry;
 * - `network`: no answer; retry at once (Pub/Sub backoff);
 * - `request`: the request itself is wrong (an application the tenant lacks); recorded.
 */
export type ReportsFailureKind = 'credentials' | 'quota' | 'server' | 'network' | 'request';

export class ReportsApiError extends Error {
  override readonly name = 'ReportsApiError';
  readonly kind: ReportsFailureKind;
  readonly status: number | undefined;
  readonly retriable: boolean;
  readonly code: string;

  constructor(kind: ReportsFailureKind, status: number | undefined, message: string) {
    super(message);
    this.kind = kind;
    this.status = status;
    this.retriable = kind === 'quota' || kind === 'server' || kind === 'network';
    this.code = `workspace_${kind}`;
  }
}

const quotaReasons = new Set([
  'rateLimitExceeded',
  'userRateLimitExceeded',
  'quotaExceeded',
  'dailyLimitExceeded',
]);

const credentialErrors = new Set([
  'invalid_grant',
  'invalid_client',
  'unauthorized_client',
  'access_denied',
]);

/**
 * Classifies an answer of the Reports API (`reason` from `error.errors[0].reason`) or of
 * the token endpoint (`oauthError` from `error`).
 */
export function classifyFailure(answer: {
  status: number | undefined;
  reason?: string | undefined;
  oauthError?: string | undefined;
}): ReportsFailureKind {
  const { status, reason, oauthError } = answer;
  if (status === undefined) return 'network';
  if (status === 429 || (reason !== undefined && quotaReasons.has(reason))) return 'quota';
  if (status >= 500) return 'server';
  if (oauthError !== undefined && credentialErrors.has(oauthError)) return 'credentials';
  if (status === 401 || status === 403) return 'credentials';
  return 'request';
}
