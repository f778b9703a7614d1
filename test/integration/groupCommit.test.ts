import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { topics } from '../../infra/spec.ts';
import { decodeEventMessage } from '../../functions/src/lib/eventMessages.ts';
import type { OutgoingMessage, Publisher } from '../../functions/src/lib/publisher.ts';
import { adminHeaders, seedFailedEvent } from '../support/failedEvents.ts';
import {
  eventRecord,
  eventually,
  postJson,
  startTestPipeline,
  waitForStatus,
  type TestPipeline,
} from '../support/pipeline.ts';

/**
 * Our publisher, holding publishes to `events` behind a gate the test opens, refusing
 * the messages it is told to, and keeping what each message carried.
 */
class GatedPublisher implements Publisher {
  readonly messages: { attributes: Record<string, string>; eventIds: string[] }[] = [];
  /** Indexes (in `messages`) of the messages Pub/Sub is to refuse. */
  readonly refuse = new Set<number>();
  readonly #inner: Publisher;
  #gate: Promise<void> | undefined;
  #open: (() => void) | undefined;

  constructor(inner: Publisher) {
    this.#inner = inner;
  }

  hold(): void {
    this.#gate = new Promise((resolve) => {
      this.#open = resolve;
    });
  }

  release(): void {
    this.#open?.();
    this.#gate = undefined;
  }

  reset(): void {
    this.messages.length = 0;
    this.refuse.clear();
  }

  async publish(topic: string, message: OutgoingMessage): Promise<string> {
    if (topic !== topics.events.name) return this.#inner.publish(topic, message);
    const index = this.messages.length;
    this.messages.push({
      attributes: message.attributes,
      eventIds: decodeEventMessage(message.data, message.attributes).map((item) =>
        item.ok ? item.value.eventId : 'invalid',
      ),
    });
    await this.#gate;
    if (this.refuse.has(index)) throw new Error('14 UNAVAILABLE: connection refused');
    return this.#inner.publish(topic, message);
  }
}

const event = (i: number) => ({ eventType: 'page.viewed', payload: { i } });
const idOf = async (response: Response) => ((await response.json()) as { eventId: string }).eventId;

/** A request, and whether it has been answered yet. */
function tracked(request: Promise<Response>) {
  const state = { answered: false, response: request };
  void request.finally(() => {
    state.answered = true;
  });
  return state;
}

describe('group commit: single calls that reach one instance together share a message', () => {
  let pipeline: TestPipeline;
  let publisher: GatedPublisher;
  let key: Record<string, string>;
  let browserKey: string;
  const shop = 'https://shop.example';

  beforeAll(async () => {
    pipeline = await startTestPipeline({
      label: 'group-commit',
      // Long enough that nothing leaves the group before the gate opens.
      env: { GROUP_COMMIT_MAX_WAIT_MS: '30000' },
      overrides: (base) => {
        publisher = new GatedPublisher(base.publisher);
        return { publisher };
      },
    });
    key = { authorization: `Bearer ${pipeline.apiKey}` };
    const created = await postJson(
      `${pipeline.urls.api}/v1/admin/api-keys`,
      { name: 'shop site', siteId: 'shop', allowedOrigins: [shop] },
      adminHeaders(pipeline),
    );
    browserKey = ((await created.json()) as { key: string }).key;
  });
  afterAll(async () => {
    publisher.release();
    await pipeline.close();
  });
  beforeEach(() => {
    publisher.release();
    publisher.reset();
  });

  const send = (body: unknown, headers: Record<string, string> = key) =>
    postJson(`${pipeline.urls.ingest}/v1/events`, body, headers);

  it('a lone request is published at once; those that arrive during its publish wait, then go together, each answered once its message is acknowledged', async () => {
    publisher.hold();
    const lone = tracked(send(event(0)));
    await eventually(async () => (publisher.messages.length === 1 ? true : undefined));
    const waiting = Array.from({ length: 20 }, (_, i) => tracked(send(event(i + 1))));
    // Give every request time to reach ingest and join the group.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(publisher.messages).toHaveLength(1);
    expect([lone, ...waiting].some((request) => request.answered)).toBe(false);

    publisher.release();
    const responses = await Promise.all([lone, ...waiting].map((request) => request.response));
    expect(responses.map((response) => response.status)).toEqual(responses.map(() => 202));
    const ids = await Promise.all(responses.map(idOf));
    expect(publisher.messages.map((message) => message.eventIds)).toEqual([
      [ids[0]],
      expect.arrayContaining(ids.slice(1)),
    ]);
    expect(publisher.messages[1]!.eventIds).toHaveLength(20);
    for (const id of ids) {
      const record = await waitForStatus(pipeline, id, 'PROCESSED');
      expect(record.attempts).toBe(1);
    }
  });

  it('a message Pub/Sub refuses answers 503 to every request in it and to no other; a retry with its key goes in once', async () => {
    publisher.hold();
    const lone = send(event(0));
    await eventually(async () => (publisher.messages.length === 1 ? true : undefined));
    publisher.refuse.add(1);
    const keys = Array.from({ length: 5 }, () => `gc-${randomUUID()}`);
    const grouped = keys.map((k, i) => send(event(i), { ...key, 'idempotency-key': k }));
    // Give every request time to claim its key and join the group.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(publisher.messages).toHaveLength(1);
    publisher.release();
    expect((await lone).status).toBe(202);
    const refused = await Promise.all(grouped);
    expect(refused.map((response) => response.status)).toEqual(keys.map(() => 503));
    expect(refused.every((response) => response.headers.get('retry-after') === '5')).toBe(true);
    expect(publisher.messages[1]!.eventIds).toHaveLength(5);
    const refusedIds = publisher.messages[1]!.eventIds;
    // Nothing of the refused message reached processing.
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const id of refusedIds) expect(await eventRecord(pipeline, id)).toBeUndefined();

    const retried = await Promise.all(
      keys.map((k, i) => send(event(i), { ...key, 'idempotency-key': k })),
    );
    expect(retried.map((response) => response.status)).toEqual(keys.map(() => 200));
    const retriedIds = await Promise.all(retried.map(idOf));
    expect(new Set(retriedIds)).toEqual(new Set(refusedIds));
    for (const id of retriedIds) {
      const record = await waitForStatus(pipeline, id, 'PROCESSED');
      expect(record.attempts).toBe(1);
    }
  });

  it('every single-event way in joins the same group: our API, the tracking API, the browser, the replaced systems', async () => {
    publisher.hold();
    const ingest = pipeline.urls.ingest;
    const lone = send(event(0));
    await eventually(async () => (publisher.messages.length === 1 ? true : undefined));
    const calls = [
      postJson(
        `${ingest}/v1/track`,
        { messageId: randomUUID(), userId: 'u-1', event: 'Signed Up' },
        key,
      ),
      fetch(`${ingest}/v1/p`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain;charset=UTF-8', origin: shop },
        body: JSON.stringify({
          type: 'page',
          messageId: randomUUID(),
          anonymousId: 'anon-1',
          properties: { path: '/pricing', url: `${shop}/pricing` },
          writeKey: browserKey,
        }),
      }),
      postJson(`${ingest}/events`, { eventType: 'user.signup', payload: { userId: '1' } }, key),
      postJson(
        `${ingest}/event`,
        { site_id: 'site-1', event_type: 'page_view', path: '/', user_id: 'u-2' },
        key,
      ),
      postJson(
        `${ingest}/api/v1/events`,
        { eventType: 'job.created', payload: { jobId: 'j' } },
        { ...key, 'x-idempotency-key': `job-${randomUUID()}` },
      ),
    ];
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(publisher.messages).toHaveLength(1);
    publisher.release();
    expect((await lone).status).toBe(202);
    const answers = await Promise.all(calls);
    expect(answers.map((response) => response.status)).toEqual([200, 200, 201, 202, 202]);
    expect(publisher.messages).toHaveLength(2);
    expect(publisher.messages[1]!.eventIds).toHaveLength(calls.length);
    for (const id of publisher.messages[1]!.eventIds)
      await waitForStatus(pipeline, id, 'PROCESSED');
  });

  it('replays of one round share messages too, under the replay attribute', async () => {
    const seeded = await Promise.all(
      Array.from({ length: 6 }, () => seedFailedEvent(pipeline, { status: 'DEAD_LETTER' })),
    );
    publisher.hold();
    const replays = seeded.map((record) =>
      postJson(
        `${pipeline.urls.api}/v1/admin/events/${record.eventId}/replay`,
        {},
        adminHeaders(pipeline),
      ),
    );
    await eventually(async () => (publisher.messages.length >= 1 ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 500));
    publisher.release();
    expect((await Promise.all(replays)).map((response) => response.status)).toEqual(
      seeded.map(() => 202),
    );
    expect(publisher.messages.length).toBeLessThan(seeded.length);
    expect(publisher.messages.every((message) => message.attributes.replay === '1')).toBe(true);
    expect(publisher.messages.flatMap((message) => message.eventIds).sort()).toEqual(
      seeded.map((record) => record.eventId).sort(),
    );
    for (const record of seeded) {
      const processed = await waitForStatus(pipeline, record.eventId, 'PROCESSED');
      expect(processed.replays).toBe(1);
    }
  });
});
