import { createVerify, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Activity } from '../../functions/src/workspace/activityEvent.ts';

export type ActivityRequest = {
  application: string;
  startTime: string;
  endTime: string;
  maxResults: number;
  pageToken: string | undefined;
};

/** What to do with one Reports API request instead of answering it. */
export type Fault =
  | { kind: 'status'; status: number; reason?: string; message?: string }
  /** The connection is cut before any answer, as when the process serving it dies. */
  | { kind: 'drop' };

type PageState = { offset: number; startTime: string; endTime: string };

/**
 * A local stand-in for Google on 127.0.0.1: the Admin SDK Reports API
 * (`activities.list`: time range, newest first, `maxResults` pages with `nextPageToken`)
 * and the OAuth 2.0 token endpoint (refresh-token grant and the JWT-bearer grant of a
 * service account). Activities, valid credentials and faults are set by the test.
 */
export class ReportsApiServer {
  readonly requests: ActivityRequest[] = [];
  readonly tokenRequests: { grantType: string; ok: boolean }[] = [];
  /** Every access token handed out, so tests can look for them where they must not be. */
  readonly issuedTokens: string[] = [];
  readonly #server: Server;
  readonly #activities = new Map<string, Activity[]>();
  readonly #refreshTokens = new Map<string, { clientId: string; clientSecret: string }>();
  readonly #serviceAccounts = new Map<string, string>();
  readonly #tokens = new Set<string>();
  #faults: { match: (request: ActivityRequest) => boolean; fault: Fault; times: number }[] = [];
  #port = 0;

  private constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.#handle(req, res, Buffer.concat(chunks).toString('utf8'));
      });
    });
  }

  static async start(): Promise<ReportsApiServer> {
    const server = new ReportsApiServer();
    await new Promise<void>((resolve) => server.#server.listen(0, '127.0.0.1', resolve));
    server.#port = (server.#server.address() as AddressInfo).port;
    return server;
  }

  get rootUrl(): string {
    return `http://127.0.0.1:${this.#port}/`;
  }

  get tokenUrl(): string {
    return `http://127.0.0.1:${this.#port}/token`;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** An OAuth client whose refresh token is valid until revoked. */
  allowRefreshToken(refreshToken: string, clientId: string, clientSecret: string): void {
    this.#refreshTokens.set(refreshToken, { clientId, clientSecret });
  }

  revokeRefreshToken(refreshToken: string): void {
    this.#refreshTokens.delete(refreshToken);
  }

  /** A service account (its public key) allowed to act for any user of the domain. */
  allowServiceAccount(clientEmail: string, publicKeyPem: string): void {
    this.#serviceAccounts.set(clientEmail, publicKeyPem);
  }

  /** Access tokens issued so far stop working (401), as after a revocation. */
  revokeAccessTokens(): void {
    this.#tokens.clear();
  }

  addActivities(application: string, activities: Activity[]): void {
    this.#activities.set(application, [
      ...(this.#activities.get(application) ?? []),
      ...activities,
    ]);
  }

  /** The next `times` requests that `match` meet `fault` instead of an answer. */
  inject(fault: Fault, match: (request: ActivityRequest) => boolean, times = 1): void {
    this.#faults.push({ match, fault, times });
  }

  requestsFor(application: string): ActivityRequest[] {
    return this.requests.filter((r) => r.application === application);
  }

  #handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const url = new URL(req.url ?? '/', this.rootUrl);
    if (req.method === 'POST' && url.pathname === '/token') {
      this.#token(res, new URLSearchParams(body));
      return;
    }
    const match = /^\/admin\/reports\/v1\/activity\/users\/all\/applications\/([a-z_]+)$/.exec(
      url.pathname,
    );
    if (req.method !== 'GET' || !match) {
      json(res, 404, {
        error: { code: 404, message: 'Not Found', errors: [{ reason: 'notFound' }] },
      });
      return;
    }
    const request: ActivityRequest = {
      application: match[1]!,
      startTime: url.searchParams.get('startTime') ?? '',
      endTime: url.searchParams.get('endTime') ?? '',
      maxResults: Number(url.searchParams.get('maxResults') ?? 1000),
      pageToken: url.searchParams.get('pageToken') ?? undefined,
    };
    this.requests.push(request);
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!token || !this.#tokens.has(token)) {
      json(res, 401, {
        error: { code: 401, message: 'Invalid Credentials', errors: [{ reason: 'authError' }] },
      });
      return;
    }
    const injected = this.#faults.find((f) => f.times > 0 && f.match(request));
    if (injected) {
      injected.times -= 1;
      if (injected.fault.kind === 'drop') {
        req.socket.destroy();
        return;
      }
      const { status, reason, message } = injected.fault;
      json(res, status, {
        error: {
          code: status,
          message: message ?? 'fault',
          errors: [{ reason: reason ?? 'backendError' }],
        },
      });
      return;
    }
    this.#list(res, request);
  }

  #list(res: ServerResponse, request: ActivityRequest): void {
    let state: PageState;
    if (request.pageToken) {
      state = JSON.parse(Buffer.from(request.pageToken, 'base64url').toString('utf8')) as PageState;
      if (state.startTime !== request.startTime || state.endTime !== request.endTime) {
        json(res, 400, {
          error: {
            code: 400,
            message: 'pageToken does not match the request',
            errors: [{ reason: 'invalid' }],
          },
        });
        return;
      }
    } else {
      state = { offset: 0, startTime: request.startTime, endTime: request.endTime };
    }
    const start = Date.parse(request.startTime);
    const end = Date.parse(request.endTime);
    const matching = (this.#activities.get(request.application) ?? [])
      .filter((item) => {
        const time = Date.parse(item.id?.time ?? '');
        return time >= start && time < end;
      })
      // Newest first, as the API answers.
      .sort((a, b) => Date.parse(b.id?.time ?? '') - Date.parse(a.id?.time ?? ''));
    const size = Math.min(Math.max(request.maxResults, 1), 1000);
    const items = matching.slice(state.offset, state.offset + size);
    const more = state.offset + size < matching.length;
    json(res, 200, {
      kind: 'admin#reports#activities',
      items,
      ...(more
        ? {
            nextPageToken: Buffer.from(
              JSON.stringify({ ...state, offset: state.offset + size }),
            ).toString('base64url'),
          }
        : {}),
    });
  }

  #token(res: ServerResponse, form: URLSearchParams): void {
    const grantType = form.get('grant_type') ?? '';
    let ok = false;
    if (grantType === 'refresh_token') {
      const known = this.#refreshTokens.get(form.get('refresh_token') ?? '');
      ok =
        known !== undefined &&
        known.clientId === form.get('client_id') &&
        known.clientSecret === form.get('client_secret');
    } else if (grantType === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      ok = this.#validAssertion(form.get('assertion') ?? '');
    }
    this.tokenRequests.push({ grantType, ok });
    if (!ok) {
      json(res, 400, {
        error: 'invalid_grant',
        error_description: 'Token has been expired or revoked.',
      });
      return;
    }
    const token = `ya29.${randomBytes(24).toString('base64url')}`;
    this.#tokens.add(token);
    this.issuedTokens.push(token);
    json(res, 200, { access_token: token, expires_in: 3599, token_type: 'Bearer' });
  }

  #validAssertion(assertion: string): boolean {
    const [header, claims, signature] = assertion.split('.');
    if (!header || !claims || !signature) return false;
    const decoded = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as {
      iss?: string;
      sub?: string;
      aud?: string;
      scope?: string;
    };
    const publicKey = this.#serviceAccounts.get(decoded.iss ?? '');
    if (!publicKey || !decoded.sub || decoded.aud !== this.tokenUrl) return false;
    if (!decoded.scope?.includes('admin.reports.audit.readonly')) return false;
    return createVerify('RSA-SHA256')
      .update(`${header}.${claims}`)
      .verify(publicKey, signature, 'base64url');
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** An activity as the Reports API returns it. */
export function activity(
  application: string,
  time: Date,
  uniqueQualifier: string,
  eventName = 'login_success',
): Activity {
  return {
    id: {
      time: time.toISOString(),
      uniqueQualifier,
      applicationName: application,
      customerId: 'C0test',
    },
    actor: { email: 'ada@example.com', profileId: '1001', callerType: 'USER' },
    ipAddress: '203.0.113.7',
    events: [
      { type: application, name: eventName, parameters: [{ name: 'login_type', value: 'saml' }] },
    ],
  };
}
