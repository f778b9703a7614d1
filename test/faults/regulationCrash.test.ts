import { randomUUID } from 'node:crypto';
import type { Firestore } from '@google-cloud/firestore';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { collections, eventsTable, topics } from '../../infra/spec.ts';
import { defaults } from '../../functions/src/lib/defaults.ts';
import { eventMessage } from '../../functions/src/lib/eventMessages.ts';
import { openReadOnlyWarehouse } from '../../functions/src/warehouse/duckDbWarehouse.ts';
import { sleep } from '../../scripts/lib/emulators.ts';
import { localWarehousePath } from '../../scripts/lib/localStack.ts';
import { recordFault } from './faultLedger.ts';
import {
  leakedSecrets,
  sendBatch,
  startStack,
  statusesOf,
  waitUntilProcessed,
  type StackHarness,
} from './stackHarness.ts';
import { drainWarehouse, warehouseRows } from './stackWarehouse.ts';

/**
 * A regulation racing its worker's crash and a redelivery of its subjects' events.
 * 500 events of 25 people are processed and loaded; SUPPRESS_WITH_DELETE is filed for 5
 * of them. As soon as it is listed, the 5 people's 100 events are published again (as
 * Pub/Sub would redeliver messages still in flight) and 200 more events arrive, 40 of
 * them the 5 people's; `runRegulation` is killed while it waits for every instance to
 * read the list, and again as it starts to sweep. Nothing of the 5 may survive anywhere,
 * and each of the others' events must be processed and loaded exactly once.
 */

const listSeconds = 2;
const marker = 'PAYLOAD-OF-A-PERSON';

type Sent = { eventId: string; userId: string; payload: Record<string, unknown>; at: string };

describe('a regulation racing a crash of its worker and a redelivery of its events', () => {
  let harness: StackHarness | undefined;
  const doomed = Array.from({ length: 5 }, (_, i) => `doomed-${i}-${randomUUID()}@example.com`);
  const kept = Array.from({ length: 20 }, (_, i) => `kept-${i}-${randomUUID()}@example.com`);

  beforeAll(async () => {
    harness = await startStack({
      label: 'regcrash',
      pubsubEmulatorHost: inject('pubsubEmulatorHost'),
      firestoreEmulatorHost: inject('firestoreEmulatorHost'),
      logLevel: 'debug',
      env: {
        RATE_LIMIT_PER_SECOND: '100000',
        RATE_LIMIT_BURST: '100000',
        PRIVACY_LIST_CACHE_SECONDS: String(listSeconds),
      },
    });
  });
  afterAll(async () => {
    await harness?.close();
  });

  async function send(count: number, everyFifthDoomed: boolean, offset: number): Promise<Sent[]> {
    const h = harness!;
    const sent: Sent[] = [];
    for (let start = 0; start < count; start += 250) {
      const at = new Date().toISOString();
      const events = Array.from({ length: Math.min(250, count - start) }, (_, k) => {
        const n = offset + start + k;
        const userId =
          everyFifthDoomed && n % 5 === 0
            ? doomed[(n / 5) % doomed.length]!
            : kept[n % kept.length]!;
        return { eventType: 'order.placed', userId, payload: { email: userId, n, marker } };
      });
      const answer = await sendBatch(h.stack.info.ingestUrl, h.stack.info.apiKey, events);
      expect(answer.status).toBe(202);
      answer.body.results.forEach((result, i) =>
        sent.push({
          eventId: result.eventId!,
          userId: events[i]!.userId,
          payload: events[i]!.payload,
          at,
        }),
      );
    }
    return sent;
  }

  it(
    'leaves nothing of the subjects and loses or doubles nothing else',
    { timeout: 240_000 },
    async () => {
      const h = harness!;
      const { stack, firestore } = h;
      const started = Date.now();
      const first = await send(500, true, 0);
      const firstDoomed = first.filter((s) => doomed.includes(s.userId));
      expect(firstDoomed).toHaveLength(100);
      const settled = await waitUntilProcessed(
        firestore,
        first.map((s) => s.eventId),
        90_000,
      );
      expect([...settled.values()].filter((status) => status === 'PROCESSED')).toHaveLength(500);
      await drainWarehouse(h);
      expect((await warehouseRows(h)).size).toBe(500);

      const admin = {
        authorization: `Bearer ${stack.info.adminToken}`,
        'content-type': 'application/json',
      };
      const filed = await fetch(`${stack.info.apiUrl}/v1/admin/regulations`, {
        method: 'POST',
        headers: admin,
        body: JSON.stringify({
          type: 'SUPPRESS_WITH_DELETE',
          subjectKind: 'userId',
          subjects: doomed,
        }),
      });
      expect(filed.status).toBe(202);
      const { regulationId } = (await filed.json()) as { regulationId: string };
      const listedAt = await waitForListing(firestore, regulationId);

      // Redelivered copies of the 5 people's events, while instances may still hold the old list.
      const events = h.pubsub.topic(topics.events.name);
      await Promise.all(
        firstDoomed.map((s) =>
          events.publishMessage(
            eventMessage({
              eventId: s.eventId,
              eventType: 'order.placed',
              payload: s.payload,
              userId: s.userId,
              occurredAt: s.at,
              receivedAt: s.at,
              source: 'api',
              producer: 'redelivered',
            }),
          ),
        ),
      );
      const second = send(200, true, 500);

      const kills: string[] = [];
      const kill = async (at: number, note: string) => {
        await sleep(Math.max(0, at - Date.now()));
        const worker = stack.functionProcess('runRegulation');
        if (!worker?.kill('SIGKILL')) return;
        kills.push(note);
        const deadline = Date.now() + 30_000;
        while (stack.functionProcess('runRegulation') === worker && Date.now() < deadline)
          await sleep(100);
      };
      const sweepAt = listedAt.getTime() + listSeconds * 1000 + defaults.privacySweepMarginMs;
      await kill(listedAt.getTime() + 1_000, 'waiting for the list to reach every instance');
      await kill(sweepAt + 300, 'as the sweep started');
      const secondSent = await second;
      const secondDoomed = secondSent.filter((s) => doomed.includes(s.userId));
      expect(secondDoomed).toHaveLength(40);

      const regulation = await waitForFinish(stack.info.apiUrl, admin, regulationId, 120_000);
      const othersSent = [...first, ...secondSent].filter((s) => !doomed.includes(s.userId));
      const statuses = await waitUntilProcessed(
        firestore,
        othersSent.map((s) => s.eventId),
        60_000,
      );
      await sleep(2 * listSeconds * 1000);
      await drainWarehouse(h);
      const rows = await warehouseRows(h);
      const lost = othersSent.filter(
        (s) => statuses.get(s.eventId) !== 'PROCESSED' || rows.get(s.eventId) !== 1,
      );
      const duplicated = othersSent.filter((s) => (rows.get(s.eventId) ?? 0) > 1).length;
      const doomedIds = new Set([...firstDoomed, ...secondDoomed].map((s) => s.eventId));
      const doomedRecords = await statusesOf(firestore, [...doomedIds]);
      const survivors = [
        ...(await warehouseMentions(h, doomed)),
        ...(await firestoreMentions(firestore, doomed)),
        ...[...doomedRecords.keys()].map((id) => `events/${id}`),
        ...[...rows.keys()].filter((id) => doomedIds.has(id)).map((id) => `row ${id}`),
      ];
      const removed = Object.fromEntries(
        (regulation.receipts as { store: string; removed: number }[]).map((r) => [
          r.store,
          r.removed,
        ]),
      );
      recordFault(inject('faultLedger'), {
        scenario: 'regulation racing a crash of its worker and redelivered events',
        faultsInjected: kills.length + firstDoomed.length,
        eventsSent: first.length + secondSent.length + firstDoomed.length,
        lost: lost.length,
        duplicated,
        serverErrorsOnBadInput: 0,
        note: `SUPPRESS_WITH_DELETE of ${doomed.length} of ${doomed.length + kept.length} people after 500 events; ${firstDoomed.length} of their events republished once listed, 200 more sent (${secondDoomed.length} theirs); runRegulation SIGKILLed ${kills.join(', ')}; ${String(regulation.status)} after ${String(regulation.attempts)} attempts (removed ${String(removed.events)} records, ${String(removed.warehouse)} rows); ${survivors.length} traces of them left; ${othersSent.length} others' events, ${lost.length} lost, ${duplicated} duplicated; ${Math.round((Date.now() - started) / 1000)} s in all`,
      });
      expect(kills).toHaveLength(2);
      expect(regulation.status).toBe('FINISHED');
      expect(survivors).toEqual([]);
      expect(lost).toEqual([]);
      expect(duplicated).toBe(0);
      expect(removed.warehouse).toBeGreaterThan(0);
      expect(h.logs.join('')).toContain('[runRegulation] exited (SIGKILL); restarting');
      expect(
        leakedSecrets(h.logs, [stack.info.apiKey, stack.info.adminToken, marker, ...doomed]),
      ).toEqual([]);
    },
  );
});

async function waitForListing(firestore: Firestore, regulationId: string): Promise<Date> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const doc = await firestore.collection(collections.regulations.name).doc(regulationId).get();
    const listedAt = doc.get('listedAt') as { toDate: () => Date } | null | undefined;
    if (listedAt) return listedAt.toDate();
    if (Date.now() > deadline) throw new Error('the regulation was never listed');
    await sleep(50);
  }
}

async function waitForFinish(
  apiUrl: string,
  headers: Record<string, string>,
  regulationId: string,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${apiUrl}/v1/admin/regulations/${regulationId}`, { headers });
    const body = (await response.json()) as Record<string, unknown>;
    if (body.finishedAt) return body;
    if (Date.now() > deadline) throw new Error(`regulation not finished: ${JSON.stringify(body)}`);
    await sleep(250);
  }
}

async function warehouseMentions(harness: StackHarness, ids: string[]): Promise<string[]> {
  const warehouse = openReadOnlyWarehouse(localWarehousePath(harness.stateDir), eventsTable);
  try {
    const rows = await warehouse.query('SELECT * FROM tributary.events', {});
    return rows
      .filter((row) => ids.some((id) => JSON.stringify(row).includes(id)))
      .map((row) => `warehouse ${String(row.event_id)}`);
  } finally {
    await warehouse.close();
  }
}

/** Documents of every top-level collection, and of the nested ones the pipeline writes. */
async function firestoreMentions(firestore: Firestore, ids: string[]): Promise<string[]> {
  const found: string[] = [];
  const groups = [
    ...(await firestore.listCollections()).map((collection) => collection.get()),
    firestore.collectionGroup(collections.deliveries.name).get(),
    firestore.collectionGroup(collections.regulationSubjects.name).get(),
  ];
  for (const snapshot of await Promise.all(groups))
    for (const doc of snapshot.docs)
      if (ids.some((id) => JSON.stringify(doc.data()).includes(id))) found.push(doc.ref.path);
  return found;
}
