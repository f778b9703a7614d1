import { randomBytes, randomUUID } from 'node:crypto';
import type { Message, Subscription } from '@google-cloud/pubsub';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { applyPubSubSpec } from '../../infra/applyPubSub.ts';
import { collections, functions, topics, type FunctionName } from '../../infra/spec.ts';
import { eventMessage } from '../../functions/src/lib/eventMessages.ts';
import type { OutgoingMessage } from '../../functions/src/lib/publisher.ts';
import { readPushedMessage, type PushedMessage } from '../../functions/src/lib/pushedMessage.ts';
import { encodeFetchRequest } from '../../functions/src/workspace/fetchMessage.ts';
import {
  newQuarantineReplay,
  stepMessage,
} from '../../functions/src/admin/trackingPlan/quarantineReplay.ts';
import { FirestoreQuarantineReplayStore } from '../../functions/src/admin/trackingPlan/quarantineReplayStore.ts';
import type { Regulation } from '../../functions/src/regulations/regulation.ts';
import { FirestoreRegulationStore } from '../../functions/src/regulations/regulationStore.ts';
import { regulationMessage } from '../../functions/src/regulations/runRegulation.ts';
import { sleep } from '../../scripts/lib/emulators.ts';
import { CloudPushDoor } from '../support/cloudPushDoor.ts';
import {
  eventually,
  postJson,
  startTestPipeline,
  waitForStatus,
  type TestPipeline,
} from '../support/pipeline.ts';
import { TestReceiver } from '../support/receiver.ts';
import { activity, ReportsApiServer } from '../support/reportsApiServer.ts';

type Json = Record<string, unknown>;
type Received = { fn: FunctionName; source: string | undefined; message: PushedMessage };

const pushFunctions = functions.filter((fn) => fn.trigger === 'pubsub-push').map((fn) => fn.name);
const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);

/** The copy of a message Pub/Sub forwards to a dead-letter topic once it gives up on it. */
function deadLettered(message: OutgoingMessage, from: string, projectId: string): OutgoingMessage {
  return {
    data: message.data,
    attributes: {
      ...message.attributes,
      CloudPubSubDeadLetterSourceDeliveryCount: '5',
      CloudPubSubDeadLetterSourceSubscription: from,
      CloudPubSubDeadLetterSourceSubscriptionProject: projectId,
      CloudPubSubDeadLetterSourceTopicPublishTime: new Date().toISOString(),
    },
  };
}

/** A regulation as the API files it, for the worker to pick up. */
const filedRegulation = (regulationId: string): Regulation => ({
  regulationId,
  type: 'SUPPRESS',
  subjectKind: 'userId',
  subjectCount: 1,
  subjectHashes: ['not-a-real-subject-hash'],
  status: 'INITIALIZED',
  createdAt: new Date(),
  updatedAt: new Date(),
  finishedAt: null,
  listedAt: null,
  attempts: 0,
  receipts: [],
  error: null,
});

/**
 * In the cloud a push subscription posts under the function's own URL,
 * `https://REGION-PROJECT.cloudfunctions.net/NAME/projects/P/topics/T`, with the cloud's
 * body and an OIDC token. Here every push subscription of the spec pushes through a door
 * that delivers exactly that way, and each push-triggered function must do what it does
 * locally, with the topic in its CloudEvent's `source` and no warning from the framework.
 */
describe("pushes in the cloud's shape, to every push-triggered function", () => {
  let pipeline: TestPipeline;
  let door: CloudPushDoor;
  let receiver: TestReceiver;
  let google: ReportsApiServer;
  let deliveriesTap: Subscription;
  const received: Received[] = [];
  const deliveries: Message[] = [];
  const endpoints: Record<string, { id: string; secret: string }> = {};
  const frameworkWarnings: string[] = [];
  const clientSecret = `cs-${randomBytes(12).toString('hex')}`;
  const refreshToken = `rt-${randomBytes(12).toString('hex')}`;

  beforeAll(async () => {
    // The framework warns on stderr about a push whose path names no topic.
    vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => {
      frameworkWarnings.push(args.join(' '));
    });
    google = await ReportsApiServer.start();
    google.allowRefreshToken(refreshToken, 'client-1', clientSecret);
    receiver = await TestReceiver.start();
    receiver.behave('/down', () => 503);
    pipeline = await startTestPipeline({
      label: 'cloud-push',
      env: {
        WORKSPACE_API_ROOT_URL: google.rootUrl,
        WORKSPACE_TOKEN_URL: google.tokenUrl,
        WEBHOOK_ENDPOINT_CACHE_SECONDS: '1',
      },
      // What each handler was given, before it runs.
      wrapEntry: (fn, entry) =>
        entry.signature === 'http'
          ? entry
          : {
              signature: 'cloudevent',
              handler: async (event) => {
                received.push({ fn, source: event.source, message: readPushedMessage(event) });
                return entry.handler(event);
              },
            },
    });
    door = await CloudPushDoor.start({
      projectId: pipeline.projectId,
      functionUrls: pipeline.urls,
    });
    await applyPubSubSpec(pipeline.pubsub, {
      profile: 'test',
      pushEndpoint: (_fn, subscription) => door.endpoint(subscription),
    });
    [deliveriesTap] = await pipeline.pubsub
      .topic(topics.deliveries.name)
      .createSubscription(`tap-deliveries-${randomBytes(4).toString('hex')}`);
    deliveriesTap.on('message', (message: Message) => {
      deliveries.push(message);
      message.ack();
    });
    for (const name of ['ok', 'down']) {
      const created = await api('POST', '/v1/webhook-endpoints', {
        url: receiver.url(`/${name}`),
        eventTypes: [`${name}.*`],
      });
      if (created.status !== 201)
        throw new Error(`creating an endpoint answered ${created.status}`);
      endpoints[name] = created.body as { id: string; secret: string };
    }
    // processEvent's endpoint list is cached for a second.
    await sleep(1100);
  });

  afterAll(async () => {
    await deliveriesTap?.close();
    await pipeline?.close();
    await door?.close();
    await receiver?.close();
    await google?.close();
    vi.restoreAllMocks();
  });

  async function api(method: string, path: string, body?: unknown) {
    const response = await fetch(`${pipeline.urls.api}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${pipeline.adminToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as Json };
  }

  async function ingest(eventType: string): Promise<string> {
    const response = await postJson(
      `${pipeline.urls.ingest}/v1/events`,
      { eventType, payload: { title: 'Home' }, siteId: 'site-1', path: '/' },
      { authorization: `Bearer ${pipeline.apiKey}` },
    );
    expect(response.status).toBe(202);
    return ((await response.json()) as { eventId: string }).eventId;
  }

  async function deliveryOf(eventId: string, status: string): Promise<Json> {
    return eventually(
      async () => {
        const event = await api('GET', `/v1/events/${eventId}`);
        const found = (event.body.deliveries as Json[] | undefined) ?? [];
        return found.find((delivery) => delivery.status === status);
      },
      { what: `the delivery of ${eventId} to be ${status}` },
    );
  }

  async function publish(topic: string, message: OutgoingMessage): Promise<void> {
    await pipeline.pubsub.topic(topic).publishMessage(message);
  }

  it('processEvent records an event PROCESSED, and deliverWebhook delivers it signed', async () => {
    const eventId = await ingest('ok.viewed');
    const record = await waitForStatus(pipeline, eventId, 'PROCESSED');
    expect(record).toMatchObject({
      eventType: 'ok.viewed',
      source: 'api',
      attempts: 1,
      lastError: null,
    });
    await deliveryOf(eventId, 'delivered');
    const [request] = receiver.requests.filter(
      (r) => r.path === '/ok' && (JSON.parse(r.body) as { data: Json }).data.eventId === eventId,
    );
    const verified = new Webhook(endpoints.ok!.secret).verify(
      request!.body,
      request!.headers as Record<string, string>,
    ) as { type: string };
    expect(verified.type).toBe('ok.viewed');
  });

  it('recordExhaustedDelivery marks exhausted a delivery that Pub/Sub gave up on', async () => {
    const eventId = await ingest('down.viewed');
    await deliveryOf(eventId, 'retrying');
    const delivery = await eventually(
      async () => deliveries.find((message) => message.attributes.eventId === eventId),
      { what: `the delivery message of ${eventId}` },
    );
    await publish(
      topics.deliveriesDeadLetter.name,
      deadLettered(
        { data: delivery.data, attributes: delivery.attributes },
        'deliveries-deliver',
        pipeline.projectId,
      ),
    );
    const exhausted = await deliveryOf(eventId, 'exhausted');
    expect(exhausted.endpointId).toBe(endpoints.down!.id);
  });

  it('recordDeadLetter marks DEAD_LETTER an event that Pub/Sub gave up on', async () => {
    const now = new Date().toISOString();
    const eventId = randomUUID();
    const event = eventMessage({
      eventId,
      eventType: 'page.viewed',
      payload: { title: 'Home' },
      occurredAt: now,
      receivedAt: now,
      source: 'api',
      producer: 'key_test',
    });
    await publish(
      topics.eventsDeadLetter.name,
      deadLettered(event, 'events-process', pipeline.projectId),
    );
    const record = await waitForStatus(pipeline, eventId, 'DEAD_LETTER');
    expect(record.lastError).toMatchObject({ code: 'attempts_exhausted' });
  });

  it('loadWarehouse, on a run trigger, loads processed events into the warehouse', async () => {
    const eventId = await ingest('page.viewed');
    await waitForStatus(pipeline, eventId, 'PROCESSED');
    await publish(topics.warehouseLoad.name, { data: Buffer.from('{"runs":1}'), attributes: {} });
    const rows = await eventually(async () => {
      const found = await pipeline.runtime.warehouse.query(
        'SELECT event_type FROM tributary.events WHERE event_id = $id',
        { id: eventId },
      );
      return found.length > 0 ? found : undefined;
    });
    expect(rows).toEqual([{ event_type: 'page.viewed' }]);
  });

  it('recomputeMetrics, on the nightly request, writes the closed days', async () => {
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    await publish(topics.metricsRecompute.name, { data: Buffer.from('{}'), attributes: {} });
    const day = await eventually(async () => {
      const doc = await pipeline.firestore
        .collection(collections.dailyMetrics.name)
        .doc(yesterday)
        .get();
      return doc.exists ? doc.data() : undefined;
    });
    expect(day).toBeDefined();
  });

  it('pollWorkspace and fetchWorkspaceLogs fetch a due source, recordExhaustedFetch marks a gap', async () => {
    google.addActivities('login', [activity('login', minutesAgo(10), 'cloud-push-1')]);
    const created = await api('POST', '/v1/sources', {
      sourceType: 'google_workspace',
      credentials: { type: 'oauth', clientId: 'client-1', clientSecret, refreshToken },
      applications: ['login'],
      lagSeconds: { login: 0 },
      logFetchInterval: 3600,
      startTime: minutesAgo(120).toISOString(),
    });
    expect(created.status).toBe(201);
    const sourceId = String(created.body.id);
    await publish(topics.workspacePoll.name, { data: Buffer.from('{}'), attributes: {} });
    await eventually(
      async () => {
        const source = await api('GET', `/v1/sources/${sourceId}`);
        return Number(source.body.eventsFetched) >= 1 ? source : undefined;
      },
      { what: `${sourceId} to fetch its activity` },
    );

    await publish(
      topics.workspaceFetchDeadLetter.name,
      deadLettered(
        encodeFetchRequest({ sourceId, application: 'login', reason: 'schedule' }),
        'workspace-fetch-run',
        pipeline.projectId,
      ),
    );
    const withGap = await eventually(async () => {
      const source = await api('GET', `/v1/sources/${sourceId}`);
      return source.body.gap === true ? source : undefined;
    });
    expect((withGap.body.gaps as Json[])[0]).toMatchObject({ application: 'login' });
  });

  it('replayQuarantine runs a step of a quarantine replay and completes the job', async () => {
    const jobs = new FirestoreQuarantineReplayStore(pipeline.firestore);
    // A running job over a window with nothing quarantined: its one step finds an empty page.
    const job = { ...newQuarantineReplay({}, 1, 0, new Date(), 1), status: 'running' as const };
    await jobs.create(job);
    await publish(topics.quarantineReplay.name, stepMessage(job.replayId, 0));
    const done = await eventually(async () => {
      const current = await jobs.get(job.replayId);
      return current?.status === 'completed' ? current : undefined;
    });
    expect(done).toMatchObject({ step: 1, replayed: 0, stillFailing: 0 });
    // The job is saved before the push is answered: wait for the answer too.
    await eventually(async () =>
      door.pushes.some((push) => push.fn === 'replayQuarantine' && (push.status ?? 500) < 300)
        ? true
        : undefined,
    );
  });

  it('runRegulation works a regulation to its end; recordFailedRegulation fails one never finished', async () => {
    const regulations = new FirestoreRegulationStore(pipeline.firestore);
    const worked = randomUUID();
    await regulations.create(filedRegulation(worked), ['cloud-push-subject']);
    await publish(topics.regulations.name, regulationMessage(worked));
    const finished = await eventually(async () => {
      const current = await regulations.get(worked);
      return current?.finishedAt ? current : undefined;
    });
    expect(finished).toMatchObject({ status: 'FINISHED', attempts: 1 });
    const abandoned = randomUUID();
    await regulations.create(filedRegulation(abandoned), ['cloud-push-subject']);
    await publish(
      topics.regulationsDeadLetter.name,
      deadLettered(regulationMessage(abandoned), 'regulations-run', pipeline.projectId),
    );
    const failed = await eventually(async () => {
      const current = await regulations.get(abandoned);
      return current?.status === 'FAILED' ? current : undefined;
    });
    expect(failed.error).toContain('every attempt');
    // However it ends, a regulation keeps no ids.
    expect(await regulations.subjects(abandoned)).toEqual([]);
    expect(await regulations.subjects(worked)).toEqual([]);
    await eventually(async () =>
      ['runRegulation', 'recordFailedRegulation'].every((fn) =>
        door.pushes.some((push) => push.fn === fn && (push.status ?? 500) < 300),
      )
        ? true
        : undefined,
    );
  });

  it("reached every push-triggered function only in the cloud's shape, each reading the message as pushed", () => {
    const acknowledged = new Set(
      door.pushes.filter((push) => (push.status ?? 500) < 300).map((push) => push.fn),
    );
    expect([...acknowledged].sort()).toEqual([...pushFunctions].sort());
    for (const push of door.pushes) {
      expect(push.path).toBe(`/projects/${pipeline.projectId}/topics/${push.topic}`);
      expect(push.headers.authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
      expect(push.body.subscription).toBe(
        `projects/${pipeline.projectId}/subscriptions/${push.subscription}`,
      );
    }
    expect(door.pushes.some((push) => push.body.deliveryAttempt !== undefined)).toBe(true);
    // Every handler was reached with its topic in its CloudEvent's source.
    expect(
      received.filter((r) => !r.source?.includes(`/projects/${pipeline.projectId}/topics/`)),
    ).toEqual([]);
    // Each handler read the message exactly as Pub/Sub pushed it.
    const pushed = new Map(
      door.pushes.map((push) => [`${push.fn}/${push.body.message.messageId}`, push.body.message]),
    );
    for (const { fn, message } of received) {
      const sent = pushed.get(`${fn}/${message.messageId}`);
      expect(sent).toBeDefined();
      expect(message).toEqual({
        messageId: sent!.messageId,
        data: Buffer.from(sent!.data ?? '', 'base64'),
        attributes: sent!.attributes ?? {},
        publishTime: sent!.publishTime,
      });
    }
    // The framework found the topic in every push's path: not one warning.
    expect(frameworkWarnings).toEqual([]);
  });
});
