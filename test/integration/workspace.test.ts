import { decodeEventMessage } from '../../functions/src/lib/eventMessages.ts';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { Message, Subscription } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../infra/spec.ts';
import { createLogger } from '../../functions/src/lib/logger.ts';
import { verifyWebhook } from '../../functions/src/webhooks/verifyWebhook.ts';
import { eventually, startTestPipeline, type TestPipeline } from '../support/pipeline.ts';
import { activity, ReportsApiServer } from '../support/reportsApiServer.ts';
import { TestReceiver } from '../support/receiver.ts';

type Json = Record<string, unknown>;
const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);

type PublishedEvent = { eventId: string; eventType: string; producer: string; payload: Json };

/**
 * Google Workspace polling end to end: the real functions, the real emulators, and a
 * local server speaking the Reports API and the OAuth token endpoint.
 */
describe('Google Workspace sources', () => {
  let pipeline: TestPipeline;
  let google: ReportsApiServer;
  let receiver: TestReceiver;
  let auth: Record<string, string>;
  const logLines: string[] = [];
  const responses: string[] = [];
  const published: PublishedEvent[] = [];
  const fetchRequests: { sourceId: string; application: string; reason: string }[] = [];
  const taps: Subscription[] = [];
  const clientSecret = `cs-${randomBytes(12).toString('hex')}`;
  const refreshToken = `rt-${randomBytes(12).toString('hex')}`;
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKey = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

  beforeAll(async () => {
    google = await ReportsApiServer.start();
    receiver = await TestReceiver.start();
    google.allowRefreshToken(refreshToken, 'client-1', clientSecret);
    google.allowServiceAccount(
      'poller@test-project.iam.gserviceaccount.com',
      keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    );
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    pipeline = await startTestPipeline({
      label: 'workspace',
      env: {
        WORKSPACE_API_ROOT_URL: google.rootUrl,
        WORKSPACE_TOKEN_URL: google.tokenUrl,
        WEBHOOK_ENDPOINT_CACHE_SECONDS: '1',
      },
      overrides: () => ({ logger: createLogger({ level: 'debug', destination }) }),
    });
    auth = { authorization: `Bearer ${pipeline.adminToken}` };
    // Taps see every message published, as the functions see them.
    for (const [topic, onMessage] of [
      [
        topics.events.name,
        // A page of activities comes as one message of many events: each is counted.
        (message: Message) =>
          published.push(
            ...decodeEventMessage(message.data, message.attributes).flatMap((decoded) =>
              decoded.ok ? [decoded.value as unknown as PublishedEvent] : [],
            ),
          ),
      ],
      [
        topics.workspaceFetch.name,
        (message: Message) =>
          fetchRequests.push(JSON.parse(message.data.toString()) as (typeof fetchRequests)[number]),
      ],
    ] as const) {
      const [subscription] = await pipeline.pubsub
        .topic(topic)
        .createSubscription(`tap-${topic}-${randomBytes(4).toString('hex')}`);
      subscription.on('message', (message: Message) => {
        onMessage(message);
        message.ack();
      });
      taps.push(subscription);
    }
  });

  afterAll(async () => {
    await Promise.all(taps.map((tap) => tap.close()));
    await pipeline?.close();
    await google?.close();
    await receiver?.close();
  });

  async function call(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: Json }> {
    const response = await fetch(`${pipeline.urls.api}${path}`, {
      method,
      headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    responses.push(text);
    return { status: response.status, body: text ? (JSON.parse(text) as Json) : {} };
  }

  const oauth = () => ({ type: 'oauth', clientId: 'client-1', clientSecret, refreshToken });

  async function createSource(overrides: Json = {}): Promise<Json> {
    const created = await call('POST', '/v1/sources', {
      sourceType: 'google_workspace',
      credentials: oauth(),
      applications: ['login'],
      lagSeconds: { login: 0, admin: 0, drive: 0, token: 0 },
      logFetchInterval: 3600,
      startTime: minutesAgo(120).toISOString(),
      ...overrides,
    });
    expect(created.status).toBe(201);
    return created.body;
  }

  async function source(id: string): Promise<Json> {
    const got = await call('GET', `/v1/sources/${id}`);
    expect(got.status).toBe(200);
    return got.body;
  }

  /** Waits until the application's window is complete and nothing more arrives. */
  async function settled(id: string, application: string, expectedEvents: number): Promise<Json> {
    await eventually(
      async () => {
        const current = await source(id);
        const cursor = (current.cursors as Record<string, Json>)[application];
        return cursor && cursor.window === null && cursor.lastCompletedAt ? current : undefined;
      },
      { timeoutMs: 30_000, what: `${id} ${application} window complete` },
    );
    await eventually(async () => (eventsOf(id).length >= expectedEvents ? true : undefined), {
      timeoutMs: 30_000,
      what: `${expectedEvents} events of ${id}`,
    });
    // Anything published twice would arrive on the tap within this time.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    return eventually(async () => {
      const current = await source(id);
      return Number(current.eventsFetched) >= expectedEvents ? current : undefined;
    });
  }

  const eventsOf = (sourceId: string) => published.filter((event) => event.producer === sourceId);
  const ids = (events: PublishedEvent[]) => events.map((event) => event.eventId);

  it("forwards a source's events to its callback URL as signed webhooks", async () => {
    google.addActivities('groups', [
      activity('groups', minutesAgo(15), 'fwd-1', 'add_user_to_group'),
    ]);
    const created = await createSource({
      applications: ['groups'],
      lagSeconds: { groups: 0 },
      callbackUrl: receiver.url('/workspace-hook'),
    });
    const id = String(created.id);
    expect(created.webhookSecret).toMatch(/^whsec_/);
    expect(created.webhookEndpointId).toMatch(/^ep_/);
    const endpoint = await call(
      'GET',
      `/v1/webhook-endpoints/${String(created.webhookEndpointId)}`,
    );
    expect(endpoint.body).toMatchObject({
      eventTypes: ['workspace.*'],
      producers: [id],
      sourceId: id,
    });
    // Let the fan-out's endpoint cache see the new endpoint.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    await call('POST', `/v1/sources/${id}/poll`);
    await eventually(async () => (eventsOf(id).length > 0 ? true : undefined), {
      what: 'the fetched event',
    });
    const delivery = await eventually(async () => receiver.received('/workspace-hook')[0], {
      timeoutMs: 30_000,
      what: 'the forwarded event',
    });
    const verified = verifyWebhook({
      body: delivery.body,
      headers: delivery.headers,
      secret: String(created.webhookSecret),
    });
    expect(verified).toEqual({ ok: true });
    expect(JSON.parse(delivery.body)).toMatchObject({
      type: 'workspace.groups.add_user_to_group',
      data: { eventType: 'workspace.groups.add_user_to_group', source: 'workspace' },
    });
    // Other sources' events do not reach it.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(receiver.received('/workspace-hook')).toHaveLength(1);

    expect((await call('DELETE', `/v1/sources/${id}`)).status).toBe(204);
    expect(
      (await call('GET', `/v1/webhook-endpoints/${String(created.webhookEndpointId)}`)).status,
    ).toBe(404);
    expect((await call('GET', `/v1/sources/${id}`)).status).toBe(404);
  });

  it('takes a source in the shape other Workspace integrations send, and polls and forwards with it', async () => {
    google.addActivities('chat', [activity('chat', minutesAgo(10), 'shape-1', 'message_posted')]);
    // The body such integrations send (no credentials type, Google's field names), with
    // an application and a start time of this test's own.
    const created = await call('POST', '/v1/sources', {
      applications: ['chat'],
      lagSeconds: { chat: 0 },
      startTime: minutesAgo(60).toISOString(),
      sourceType: 'google_workspace',
      credentials: {
        client_id: 'client-1',
        client_secret: clientSecret,
        refresh_token: refreshToken,
      },
      callbackUrl: receiver.url('/shape-hook'),
      logFetchInterval: 30,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      credentials: { type: 'oauth', set: true },
      logFetchInterval: 30,
      effectiveFetchIntervalSeconds: 60,
      callbackUrl: receiver.url('/shape-hook'),
    });
    const id = String(created.body.id);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect((await call('POST', `/v1/sources/${id}/poll`)).status).toBe(202);
    const delivery = await eventually(async () => receiver.received('/shape-hook')[0], {
      timeoutMs: 30_000,
      what: 'the forwarded chat event',
    });
    expect(
      verifyWebhook({
        body: delivery.body,
        headers: delivery.headers,
        secret: String(created.body.webhookSecret),
      }),
    ).toEqual({ ok: true });
    expect(JSON.parse(delivery.body)).toMatchObject({
      type: 'workspace.chat.message_posted',
    });

    // A partial update in the same shape: only what is sent changes.
    const updated = await call('PUT', `/v1/sources/${id}`, {
      callbackUrl: receiver.url('/shape-hook-2'),
      logFetchInterval: 60,
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({
      callbackUrl: receiver.url('/shape-hook-2'),
      logFetchInterval: 60,
      credentials: { type: 'oauth', set: true },
      status: 'active',
    });
    expect((await source(id)).webhookEndpointId).toBe(created.body.webhookEndpointId);
    expect(JSON.stringify(responses)).not.toContain(clientSecret);
    expect((await call('DELETE', `/v1/sources/${id}`)).status).toBe(204);
  });

  it('fetches a window of several pages completely before it moves the cursor', async () => {
    const base = minutesAgo(90).getTime();
    google.addActivities(
      'token',
      Array.from({ length: 2150 }, (_, i) =>
        activity('token', new Date(base + i * 1000), `mp-${i}`, 'authorize'),
      ),
    );
    const created = await createSource({ applications: ['token'] });
    const id = String(created.id);
    expect((await call('POST', `/v1/sources/${id}/poll`)).status).toBe(202);
    const state = await settled(id, 'token', 2150);
    const events = eventsOf(id);
    expect(events).toHaveLength(2150);
    expect(new Set(ids(events)).size).toBe(2150);
    expect(events[0]).toMatchObject({
      eventType: 'workspace.token.authorize',
      producer: id,
      payload: { actor: { email: 'ada@example.com' }, ipAddress: '203.0.113.7' },
    });
    // Three pages of one window: 1000, 1000, 150.
    const windowRequests = google.requestsFor('token');
    expect(windowRequests).toHaveLength(3);
    expect(new Set(windowRequests.map((r) => `${r.startTime}/${r.endTime}`)).size).toBe(1);
    expect(windowRequests.map((r) => r.pageToken === undefined)).toEqual([true, false, false]);
    expect(state).toMatchObject({ status: 'active', eventsFetched: 2150, gap: false });
    expect(state.lastSuccessAt).toEqual(expect.any(String));
    const cursor = (state.cursors as Record<string, Json>).token!;
    expect(cursor.cursor).toBe(windowRequests[0]!.endTime);
  });

  it('publishes once an activity that arrives late inside the overlap', async () => {
    google.addActivities('admin', [
      activity('admin', minutesAgo(30), 'late-a', 'CHANGE_PASSWORD'),
      activity('admin', minutesAgo(3), 'late-b', 'CHANGE_PASSWORD'),
    ]);
    const id = String((await createSource({ applications: ['admin'] })).id);
    await call('POST', `/v1/sources/${id}/poll`);
    const first = await settled(id, 'admin', 2);
    const cursorAfterFirst = new Date(
      String((first.cursors as Record<string, Json>).admin!.cursor),
    );
    // Recorded by Google only now, with a time just behind the cursor.
    google.addActivities('admin', [
      activity(
        'admin',
        new Date(cursorAfterFirst.getTime() - 60_000),
        'late-c',
        'ADD_GROUP_MEMBER',
      ),
    ]);
    await call('POST', `/v1/sources/${id}/poll`);
    await eventually(async () => (eventsOf(id).length >= 3 ? true : undefined), {
      what: 'the late activity',
    });
    await call('POST', `/v1/sources/${id}/poll`);
    await eventually(async () => (google.requestsFor('admin').length >= 3 ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const events = eventsOf(id);
    expect(
      events.map((e) => String(e.payload.uniqueQualifier)).sort((a, b) => a.localeCompare(b)),
    ).toEqual(['late-a', 'late-b', 'late-c']);
    expect(events.find((e) => e.payload.uniqueQualifier === 'late-c')?.eventType).toBe(
      'workspace.admin.add_group_member',
    );
    // The later windows reached back over the earlier activity, which was not published again.
    const requests = google.requestsFor('admin');
    expect(Date.parse(requests[1]!.startTime)).toBeLessThan(cursorAfterFirst.getTime());
    expect((await source(id)).eventsFetched).toBe(3);
  });

  it('resumes at the next page after a fetch dies between pages: nothing lost, nothing twice', async () => {
    const base = minutesAgo(100).getTime();
    google.addActivities(
      'drive',
      Array.from({ length: 2500 }, (_, i) =>
        activity('drive', new Date(base + i * 1500), `crash-${i}`, 'edit'),
      ),
    );
    // The answer to the second page never comes: the connection dies.
    google.inject({ kind: 'drop' }, (r) => r.application === 'drive' && r.pageToken !== undefined);
    const id = String((await createSource({ applications: ['drive'] })).id);
    await call('POST', `/v1/sources/${id}/poll`);
    const state = await settled(id, 'drive', 2500);
    const events = eventsOf(id);
    expect(events).toHaveLength(2500);
    expect(new Set(ids(events)).size).toBe(2500);
    const requests = google.requestsFor('drive');
    // First page once; the second page twice (the dropped attempt and its retry); the third once.
    expect(requests.filter((r) => r.pageToken === undefined)).toHaveLength(1);
    expect(requests).toHaveLength(4);
    expect(requests[1]!.pageToken).toBe(requests[2]!.pageToken);
    expect(state).toMatchObject({ eventsFetched: 2500, status: 'active' });
  });

  it('marks a source whose credentials are refused and stops polling it until they are replaced', async () => {
    const revoked = `rt-${randomBytes(8).toString('hex')}`;
    google.allowRefreshToken(revoked, 'client-1', clientSecret);
    google.addActivities('login', [activity('login', minutesAgo(20), 'cred-1')]);
    const id = String(
      (
        await createSource({
          credentials: { ...oauth(), refreshToken: revoked },
          applications: ['login'],
        })
      ).id,
    );
    google.revokeRefreshToken(revoked);
    const before = google.requests.length;
    await call('POST', `/v1/sources/${id}/poll`);
    const stopped = await eventually(async () => {
      const current = await source(id);
      return current.status === 'credentials_invalid' ? current : undefined;
    });
    expect(String(stopped.statusReason)).toContain('invalid_grant');
    expect(stopped.lastError).toMatchObject({ code: 'workspace_credentials' });
    expect(google.requests.length).toBe(before);

    // Neither an operator's poll nor the schedule polls it now.
    const refused = await call('POST', `/v1/sources/${id}/poll`);
    expect(refused.status).toBe(409);
    expect((refused.body.error as Json).code).toBe('credentials_invalid');
    const fetchesBefore = fetchRequests.filter((f) => f.sourceId === id).length;
    await pipeline.pubsub.topic(topics.workspacePoll.name).publishMessage({ json: {} });
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(fetchRequests.filter((f) => f.sourceId === id)).toHaveLength(fetchesBefore);

    // New credentials make it active again, and it fetches.
    const updated = await call('PUT', `/v1/sources/${id}`, {
      credentials: {
        type: 'service_account',
        serviceAccountKey: {
          type: 'service_account',
          client_email: 'poller@test-project.iam.gserviceaccount.com',
          private_key: privateKey,
        },
        subject: 'admin@example.com',
      },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({
      status: 'active',
      statusReason: null,
      credentials: { type: 'service_account', set: true },
    });
    await call('POST', `/v1/sources/${id}/poll`);
    await settled(id, 'login', 1);
    expect(eventsOf(id).map((e) => e.payload.uniqueQualifier)).toEqual(['cred-1']);
    expect(google.tokenRequests.some((t) => t.grantType.includes('jwt-bearer') && t.ok)).toBe(true);
  });

  it('backs off on quota errors, retries through Pub/Sub, and marks the gap when the fetch is exhausted', async () => {
    google.addActivities('saml', [activity('saml', minutesAgo(10), 'quota-1', 'login_success')]);
    google.inject(
      { kind: 'status', status: 403, reason: 'rateLimitExceeded', message: 'Quota exceeded' },
      (r) => r.application === 'saml',
      1,
    );
    const id = String((await createSource({ applications: ['saml'], lagSeconds: { saml: 0 } })).id);
    const polledAt = Date.now();
    await call('POST', `/v1/sources/${id}/poll`);
    const backingOff = await eventually(async () => {
      const current = await source(id);
      return current.status === 'backing_off' ? current : undefined;
    });
    expect(backingOff.lastError).toMatchObject({ code: 'workspace_quota' });
    const early = await call('POST', `/v1/sources/${id}/poll`);
    expect(early.status).toBe(409);
    expect((early.body.error as Json).code).toBe('backing_off');
    // The backoff is at least a minute: the API is not asked again before.
    expect(Date.parse(String(backingOff.nextPollAt))).toBeGreaterThanOrEqual(polledAt + 55_000);
    const exhausted = await eventually(
      async () => {
        const current = await source(id);
        return current.gap === true ? current : undefined;
      },
      { timeoutMs: 30_000, what: 'the exhausted fetch to be recorded' },
    );
    expect(google.requestsFor('saml')).toHaveLength(1);
    expect((exhausted.gaps as Json[])[0]).toMatchObject({ application: 'saml' });
    expect(eventsOf(id)).toHaveLength(0);

    // The schedule does not poll it while it backs off.
    await pipeline.pubsub.topic(topics.workspacePoll.name).publishMessage({ json: {} });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(fetchRequests.filter((f) => f.sourceId === id && f.reason === 'schedule')).toHaveLength(
      0,
    );
  });

  it('on a scheduler tick, publishes fetches for due sources only', async () => {
    const due = String((await createSource({ applications: ['login', 'admin'] })).id);
    const notDue = String((await createSource({ applications: ['login'] })).id);
    const paused = String((await createSource({ applications: ['login'] })).id);
    // Polled just now: next due in an hour.
    await call('POST', `/v1/sources/${notDue}/poll`);
    await call('PUT', `/v1/sources/${paused}`, { status: 'paused' });
    await eventually(async () =>
      fetchRequests.some((f) => f.sourceId === notDue) ? true : undefined,
    );
    await pipeline.pubsub.topic(topics.workspacePoll.name).publishMessage({ json: {} });
    const scheduled = await eventually(async () => {
      const found = fetchRequests.filter((f) => f.reason === 'schedule' && f.sourceId === due);
      return found.length >= 2 ? found : undefined;
    });
    expect(scheduled.map((f) => f.application).sort((a, b) => a.localeCompare(b))).toEqual([
      'admin',
      'login',
    ]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(
      fetchRequests.filter(
        (f) => f.reason === 'schedule' && (f.sourceId === notDue || f.sourceId === paused),
      ),
    ).toEqual([]);
    // Its next poll moved by its interval.
    expect(Date.parse(String((await source(due)).nextPollAt))).toBeGreaterThan(
      Date.now() + 3000_000,
    );
  });

  it('never shows or logs credentials or access tokens', async () => {
    const listed = await call('GET', '/v1/sources');
    expect((listed.body.sources as Json[]).length).toBeGreaterThan(3);
    for (const entry of listed.body.sources as Json[]) {
      expect(entry.credentials).toMatchObject({ set: true });
    }
    const secrets = [
      clientSecret,
      refreshToken,
      privateKey.split('\n')[1]!,
      ...google.issuedTokens,
    ];
    expect(google.issuedTokens.length).toBeGreaterThan(0);
    expect(logLines.length).toBeGreaterThan(10);
    for (const secret of secrets) {
      expect(responses.filter((text) => text.includes(secret))).toEqual([]);
      expect(logLines.filter((line) => line.includes(secret))).toEqual([]);
    }
    // Nor the activities themselves: payloads are not logged.
    expect(logLines.filter((line) => line.includes('203.0.113.7'))).toEqual([]);
  });
});
