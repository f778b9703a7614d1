import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { sleep } from '../../scripts/lib/emulators.ts';
import { recordFault } from './faultLedger.ts';
import {
  leakedSecrets,
  sendEvent,
  startStack,
  statusesOf,
  waitUntilProcessed,
  type StackHarness,
} from './stackHarness.ts';

const events = 5000;
const batchSize = 500;
/** Half the events come in calls of 500 (messages of many events), half one per call (grouped by ingest as they arrive together). */
const batched = events / 2;

describe('a crash of processEvent with 5,000 events in flight, in messages of one and of many', () => {
  let harness: StackHarness;

  beforeAll(async () => {
    harness = await startStack({
      label: 'crash',
      pubsubEmulatorHost: inject('pubsubEmulatorHost'),
      firestoreEmulatorHost: inject('firestoreEmulatorHost'),
      logLevel: 'info',
      // The single calls go as fast as the machine sends them: no key's rate limit here.
      env: { RATE_LIMIT_PER_SECOND: '100000', RATE_LIMIT_BURST: '100000' },
    });
  });
  afterAll(async () => {
    await harness.close();
  });

  it('ends with every event PROCESSED exactly once', { timeout: 900_000 }, async () => {
    const { stack, firestore } = harness;
    const ids: string[] = [];
    for (let offset = 0; offset < batched; offset += batchSize) {
      const batch = Array.from({ length: batchSize }, (_, i) => ({
        eventType: 'order.placed',
        payload: { n: offset + i, marker: 'PAYLOAD-MUST-NOT-BE-LOGGED' },
        idempotencyKey: randomUUID(),
      }));
      const response = await fetch(`${stack.info.ingestUrl}/v1/events/batch`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${stack.info.apiKey}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ events: batch }),
      });
      expect(response.status).toBe(202);
      const body = (await response.json()) as { results: { eventId: string }[] };
      ids.push(...body.results.map((r) => r.eventId));
    }
    for (let offset = batched; offset < events; offset += 50) {
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          sendEvent(
            stack.info.ingestUrl,
            stack.info.apiKey,
            {
              eventType: 'order.placed',
              payload: { n: offset + i, marker: 'PAYLOAD-MUST-NOT-BE-LOGGED' },
            },
            randomUUID(),
          ),
        ),
      );
      expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 202));
      ids.push(...answers.map((answer) => answer.eventId!));
    }

    // Kill the processor once it is busy, twice, without warning.
    let crashes = 0;
    for (const threshold of [200, 1500]) {
      for (;;) {
        const processed = [...(await statusesOf(firestore, ids)).values()].filter(
          (s) => s === 'PROCESSED',
        ).length;
        if (processed >= threshold) break;
        await sleep(200);
      }
      stack.functionProcess('processEvent')?.kill('SIGKILL');
      crashes += 1;
      await sleep(1000);
    }

    // Bounded, with room for a busy machine: after the kills the backlog drains at the
    // speed of one processEvent process.
    const killedAt = Date.now();
    const statuses = await waitUntilProcessed(firestore, ids, 300_000);
    const drainSeconds = Math.round((Date.now() - killedAt) / 1000);
    const processed = [...statuses.values()].filter((s) => s === 'PROCESSED').length;
    const lost = ids.length - processed;
    // One status document per event id; a second PROCESSED write for an id would have been refused.
    const duplicated = new Set(ids).size === ids.length ? 0 : ids.length - new Set(ids).size;
    recordFault(inject('faultLedger'), {
      scenario: 'processEvent killed mid-flight',
      faultsInjected: crashes,
      eventsSent: ids.length,
      lost,
      duplicated,
      serverErrorsOnBadInput: 0,
      note: `SIGKILL twice; ${batched} events in messages of ${batchSize}, ${events - batched} in single calls sharing messages as they arrive; restarted by the stack; backlog drained ${drainSeconds} s after the last kill`,
    });
    expect(lost).toBe(0);
    expect(duplicated).toBe(0);
    expect(harness.logs.join('')).toContain('restarting');
    expect(
      leakedSecrets(harness.logs, [
        stack.info.apiKey,
        stack.info.adminToken,
        'PAYLOAD-MUST-NOT-BE-LOGGED',
      ]),
    ).toEqual([]);
  });
});
