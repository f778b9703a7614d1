import { createSign } from 'node:crypto';
import { admin_reports_v1 } from '@googleapis/admin';
import { OAuth2Client } from 'google-auth-library';
import type { Activity } from './activityEvent.ts';
import { classifyFailure, ReportsApiError } from './reportsError.ts';
import type { WorkspaceCredentials } from './source.ts';

export type ActivityPageRequest = {
  sourceId: string;
  /** Changes when the credentials change, so a cached token is not reused. */
  credentialsVersion: string;
  credentials: WorkspaceCredentials;
  application: string;
  startTime: Date;
  endTime: Date;
  pageToken: string | undefined;
  maxResults: number;
};

export type ActivityPage = { items: Activity[]; nextPageToken: string | undefined };

/** `activities.list` of the Admin SDK Reports API, one page at a time. */
export interface ActivityReports {
  listPage(request: ActivityPageRequest): Promise<ActivityPage>;
}

const scope = 'https://www.googleapis.com/auth/admin.reports.audit.readonly';
const requestTimeoutMs = 30_000;

/**
 * The Reports API through `@googleapis/admin`, with the root URL and token endpoint from
 * the configuration. Access tokens are obtained with a plain POST to the token endpoint
 * (refresh-token grant, or a signed JWT assertion for a service account with domain-wide
 * delegation) and cached per source until shortly before they expire.
 */
export class GoogleActivityReports implements ActivityReports {
  readonly #rootUrl: string;
  readonly #tokenUrl: string;
  readonly #tokens = new Map<string, { token: string; expiresAt: number }>();

  constructor(options: { rootUrl: string; tokenUrl: string }) {
    this.#rootUrl = options.rootUrl;
    this.#tokenUrl = options.tokenUrl;
  }

  async listPage(request: ActivityPageRequest): Promise<ActivityPage> {
    const token = await this.#accessToken(request);
    const auth = new OAuth2Client();
    auth.setCredentials({ access_token: token });
    const reports = new admin_reports_v1.Admin({ auth, rootUrl: this.#rootUrl });
    try {
      const response = await reports.activities.list(
        {
          userKey: 'all',
          applicationName: request.application,
          startTime: request.startTime.toISOString(),
          endTime: request.endTime.toISOString(),
          maxResults: request.maxResults,
          ...(request.pageToken ? { pageToken: request.pageToken } : {}),
        },
        { timeout: requestTimeoutMs, retry: false },
      );
      return {
        items: response.data.items ?? [],
        nextPageToken: response.data.nextPageToken ?? undefined,
      };
    } catch (error) {
      const failure = apiFailure(error);
      if (failure.kind === 'credentials') this.#tokens.delete(tokenKey(request));
      throw failure;
    }
  }

  async #accessToken(request: ActivityPageRequest): Promise<string> {
    const cacheKey = tokenKey(request);
    const cached = this.#tokens.get(cacheKey);
    if (cached && cached.expiresAt > Date.now()) return cached.token;
    const body =
      request.credentials.type === 'oauth'
        ? new URLSearchParams({
            grant_type: 'refresh_token',
            client_id: request.credentials.clientId,
            client_secret: request.credentials.clientSecret,
            refresh_token: request.credentials.refreshToken,
          })
        : new URLSearchParams({
            grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
            assertion: signedAssertion(request.credentials, this.#tokenUrl),
          });
    let response: Response;
    try {
      response = await fetch(this.#tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
    } catch (error) {
      throw new ReportsApiError(
        'network',
        undefined,
        `token endpoint: ${(error as Error).message}`,
      );
    }
    const answer = (await response.json().catch(() => ({}))) as {
      access_token?: string;
      expires_in?: number;
      error?: string;
      error_description?: string;
    };
    if (!response.ok || !answer.access_token) {
      const kind = classifyFailure({
        status: response.status,
        oauthError: answer.error,
      });
      // Google's error codes and descriptions never carry the credentials themselves.
      const described = [answer.error, answer.error_description].filter(Boolean).join(': ');
      throw new ReportsApiError(
        kind === 'request' ? 'credentials' : kind,
        response.status,
        `token endpoint answered ${response.status}${described ? ` (${described.slice(0, 200)})` : ''}`,
      );
    }
    const lifetime = Math.max(0, (answer.expires_in ?? 3600) - 60) * 1000;
    this.#tokens.set(cacheKey, { token: answer.access_token, expiresAt: Date.now() + lifetime });
    return answer.access_token;
  }
}

function tokenKey(request: ActivityPageRequest): string {
  return `${request.sourceId}\n${request.credentialsVersion}`;
}

/** RFC 7523 assertion for a service account acting as `subject` (domain-wide delegation). */
function signedAssertion(
  credentials: Extract<WorkspaceCredentials, { type: 'service_account' }>,
  audience: string,
): string {
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode({
    iss: credentials.clientEmail,
    sub: credentials.subject,
    scope,
    aud: audience,
    iat: now,
    exp: now + 3600,
  })}`;
  let signature: string;
  try {
    signature = createSign('RSA-SHA256').update(unsigned).sign(credentials.privateKey, 'base64url');
  } catch {
    throw new ReportsApiError(
      'credentials',
      undefined,
      'the service account private key does not sign',
    );
  }
  return `${unsigned}.${signature}`;
}

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** A gaxios error from the Reports API as a classified failure, without its request config. */
function apiFailure(error: unknown): ReportsApiError {
  if (error instanceof ReportsApiError) return error;
  const response = (error as { response?: { status?: number; data?: unknown } }).response;
  const status = response?.status ?? (error as { status?: number }).status;
  const data = response?.data as
    { error?: { message?: string; errors?: { reason?: string }[] } | string } | undefined;
  const apiError = typeof data?.error === 'object' ? data.error : undefined;
  const reason = apiError?.errors?.[0]?.reason;
  const kind = classifyFailure({
    status: response ? status : undefined,
    reason,
    oauthError: typeof data?.error === 'string' ? data.error : undefined,
  });
  const detail = apiError?.message ?? (error as Error).message ?? 'failed';
  return new ReportsApiError(
    kind,
    response ? status : undefined,
    `Reports API ${status ?? 'no answer'}${reason ? ` ${reason}` : ''}: ${detail.slice(0, 200)}`,
  );
}
