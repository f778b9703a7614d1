import type { Firestore } from '@google-cloud/firestore';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { collections } from '../../infra/spec.ts';
import { defaults } from '../../functions/src/lib/defaults.ts';
import { sleep } from '../../scripts/lib/emulators.ts';
import type { LocalStack } from '../../scripts/lib/localStack.ts';
import { recordFault } from './faultLedger.ts';
import { leakedSecrets, startStack, statusesOf, type StackHarness } from './stackHarness.ts';
import { drainWarehouse, warehouseRows } from './stackWarehouse.ts';

/**
 * Quarantine replays under faults. A plan under `quarantine` holds back half of 2,000
 * events; a newer version lets some of them through, and a replay job (one page of
 * `defaults.quarantineReplayPageSize` per step, on the `quarantine-replay` topic) puts
 * those back into the pipeline. Whatever happens to the job, each event must end
 * PROCESSED exactly once (one warehouse row) or QUARANTINED, as the newest plan says.
 *
 * The page size has no setting (the functions read the default), so the number of
 * events is chosen for several steps at the default: 1,000 quarantined, 5 steps of 200.
 */

const eventType = 'order.placed';
const events = 2000;
const batchSize = 500;
const marker = 'PAYLOAD-MUST-NOT-BE-LOGGED';
const pageSize = defaults.quarantineReplayPageSize;

type Kind = 'good' | 'fixedByV2' | 'fixedByV3' | 'neverFixed';
type Version = 1 | 2 | 3;

/** Every other event breaks version 1; of those, 6 in 10 pass version 2, 8 in 10 version 3. */
function kindOf(n: number): Kind {
  if (n % 2 === 0) return 'good';
  const tenth = ((n - 1) / 2) % 10;
  if (tenth < 6) return 'fixedByV2';
  return tenth < 8 ? 'fixedByV3' : 'neverFixed';
}

const payloads: Record<Kind, (n: number) => Record<string, unknown>> = {
  good: (n) => ({ amount: n + 0.5, code: `A-${n}`, marker }),
  fixedByV2: (n) => ({ amount: `${n}.5`, code: `A-${n}`, marker }),
  fixedByV3: (n) => ({ amount: n + 0.5, code: `B-${n}`, marker }),
  neverFixed: (n) => ({ code: `A-${n}`, marker }),
};

function payloadOf(n: number): Record<string, unknown> {
  return payloads[kindOf(n)](n);
}

function passes(kind: Kind, version: Version): boolean {
  if (kind === 'good') return true;
  if (kind === 'fixedByV2') return version >= 2;
  if (kind === 'fixedByV3') return version >= 3;
  return false;
}

/** Version 2 takes amounts as numeric text; version 3 also codes starting `B-`. */
function planFile(version: Version) {
  const amount =
    version >= 2
      ? { type: ['number', 'string'], pattern: '^[0-9]+(\\.[0-9]+)?$' }
      : { type: 'number' };
  const code = { type: 'string', pattern: version >= 3 ? '^[AB]-[0-9]+$' : '^A-[0-9]+$' };
  return {
    settings: { unplanned: 'quarantine', violations: 'quarantine' },
    types: [
      {
        eventType,
        schema: { type: 'object', properties: { amount, code }, required: ['amount', 'code'] },
      },
    ],
  };
}

type Sent = { eventId: string; kind: Kind };

function adminHeaders(stack: LocalStack): Record<string, string> {
  return { authorization: `Bearer ${stack.info.adminToken}`, 'content-type': 'application/json' };
}

async function importPlan(stack: LocalStack, version: Version): Promise<number> {
  const response = await fetch(`${stack.info.apiUrl}/v1/admin/tracking-plan/import`, {
    method: 'POST',
    headers: adminHeaders(stack),
    body: JSON.stringify(planFile(version)),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { revision: number }).revision;
}

async function sendAll(stack: LocalStack): Promise<Sent[]> {
  const sent: Sent[] = [];
  for (let offset = 0; offset < events; offset += batchSize) {
    const batch = Array.from({ length: batchSize }, (_, i) => ({
      eventType,
      payload: payloadOf(offset + i),
    }));
    const response = await fetch(`${stack.info.ingestUrl}/v1/events/batch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.info.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events: batch }),
    });
    expect(response.status).toBe(202);
    const body = (await response.json()) as { accepted: number; results: { eventId: string }[] };
    expect(body.accepted).toBe(batchSize);
    body.results.forEach((result, i) =>
      sent.push({ eventId: result.eventId, kind: kindOf(offset + i) }),
    );
  }
  return sent;
}

function expectedUnder(sent: Sent[], version: Version): Map<string, string> {
  return new Map(
    sent.map(({ eventId, kind }) => [eventId, passes(kind, version) ? 'PROCESSED' : 'QUARANTINED']),
  );
}

/** Statuses once every event has the one expected (or at the deadline, as they are). */
async function waitForStatuses(
  firestore: Firestore,
  expected: Map<string, string>,
  timeoutMs: number,
): Promise<Map<string, string>> {
  const ids = [...expected.keys()];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const statuses = await statusesOf(firestore, ids);
    if (ids.every((id) => statuses.get(id) === expected.get(id)) || Date.now() > deadline)
      return statuses;
    await sleep(1000);
  }
}

type ReplayView = {
  replayId: string;
  status: string;
  matched: number;
  replayed: number;
  stillFailing: number;
  skipped: number;
  failed: number;
  remaining: number;
  steps: number;
};

async function startReplay(stack: LocalStack): Promise<string> {
  const response = await fetch(`${stack.info.apiUrl}/v1/admin/tracking-plan/replays`, {
    method: 'POST',
    headers: adminHeaders(stack),
    body: '{}',
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { replayId: string }).replayId;
}

async function waitForReplay(
  stack: LocalStack,
  replayId: string,
  timeoutMs: number,
): Promise<ReplayView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(
      `${stack.info.apiUrl}/v1/admin/tracking-plan/replays/${replayId}`,
      { headers: adminHeaders(stack) },
    );
    const body = (await response.json()) as ReplayView;
    if (body.status === 'completed') return body;
    if (Date.now() > deadline)
      throw new Error(
        `replay ${replayId} not completed in ${timeoutMs} ms: ${JSON.stringify(body)}`,
      );
    await sleep(250);
  }
}

/** The job's progress record as the steps write it, read straight from Firestore. */
async function jobRecord(
  firestore: Firestore,
  replayId: string,
): Promise<{ step: number; status: string; createdAt: Date; updatedAt: Date }> {
  const data = (
    await firestore.collection(collections.quarantineReplays.name).doc(replayId).get()
  ).data()!;
  return {
    step: Number(data.step),
    status: String(data.status),
    createdAt: (data.createdAt as { toDate: () => Date }).toDate(),
    updatedAt: (data.updatedAt as { toDate: () => Date }).toDate(),
  };
}

/** Polls the job until a step has saved `step` as the next one (or it completed). */
async function waitForStep(
  firestore: Firestore,
  replayId: string,
  step: number,
  timeoutMs: number,
): Promise<Awaited<ReturnType<typeof jobRecord>>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await jobRecord(firestore, replayId);
    if (job.step >= step || job.status === 'completed') return job;
    if (Date.now() > deadline) throw new Error(`replay ${replayId} stuck at step ${job.step}`);
    await sleep(20);
  }
}

type History = { status: string }[];

type StoredEvent = {
  status: string;
  replays: number;
  queuedAt: Date | null;
  history: History;
  violations: { version: number }[];
};

/** Full records of some events, read in chunks: their history and violations. */
async function records(
  firestore: Firestore,
  eventIds: string[],
): Promise<Map<string, StoredEvent>> {
  const found = new Map<string, StoredEvent>();
  for (let i = 0; i < eventIds.length; i += 300) {
    const refs = eventIds
      .slice(i, i + 300)
      .map((id) => firestore.collection(collections.events.name).doc(id));
    for (const snapshot of await firestore.getAll(...refs)) {
      if (!snapshot.exists) continue;
      const queuedAt = snapshot.get('queuedAt') as { toDate: () => Date } | null | undefined;
      found.set(snapshot.id, {
        status: String(snapshot.get('status')),
        replays: Number(snapshot.get('replays') ?? 0),
        queuedAt: queuedAt ? queuedAt.toDate() : null,
        history: (snapshot.get('history') ?? []) as History,
        violations: (snapshot.get('violations') ?? []) as { version: number }[],
      });
    }
  }
  return found;
}

type Tally = {
  processed: string[];
  quarantined: string[];
  /** Neither PROCESSED nor QUARANTINED (QUEUED left behind, or no record): lost. */
  lost: { eventId: string; status: string }[];
  /** When each lost event was queued, and what its history says. */
  lostRecords: Map<string, StoredEvent>;
  /** Final status other than the newest plan says. */
  wrong: { eventId: string; kind: Kind; status: string }[];
  rows: number;
  distinctRows: number;
  /** Rows in the warehouse of events that are not PROCESSED. */
  rowsOfUnprocessed: string[];
  /** PROCESSED events whose history records more than one processing. */
  processedTwice: string[];
  duplicated: number;
};

async function tally(
  harness: StackHarness,
  sent: Sent[],
  statuses: Map<string, string>,
  version: Version,
): Promise<Tally> {
  const expected = expectedUnder(sent, version);
  const processed = sent.filter((s) => statuses.get(s.eventId) === 'PROCESSED');
  const quarantined = sent.filter((s) => statuses.get(s.eventId) === 'QUARANTINED');
  const lost = sent
    .map((s) => ({ eventId: s.eventId, status: statuses.get(s.eventId) ?? '(none)' }))
    .filter((s) => s.status !== 'PROCESSED' && s.status !== 'QUARANTINED');
  const wrong = sent
    .map((s) => ({ ...s, status: statuses.get(s.eventId) ?? '(none)' }))
    .filter((s) => s.status !== expected.get(s.eventId));
  // Every processing that reaches the status record reaches the warehouse once.
  await sleep(2000);
  await drainWarehouse(harness);
  const rowsById = await warehouseRows(harness);
  const rows = [...rowsById.values()].reduce((sum, n) => sum + n, 0);
  const rowsOfUnprocessed = [...rowsById.keys()].filter((id) => statuses.get(id) !== 'PROCESSED');
  const full = await records(
    harness.firestore,
    processed.map((s) => s.eventId),
  );
  const processedTwice = [...full]
    .filter(([, record]) => record.history.filter((h) => h.status === 'PROCESSED').length > 1)
    .map(([id]) => id);
  const lostRecords = await records(
    harness.firestore,
    lost.map((l) => l.eventId),
  );
  return {
    processed: processed.map((s) => s.eventId),
    quarantined: quarantined.map((s) => s.eventId),
    lost,
    lostRecords,
    wrong,
    rows,
    distinctRows: rowsById.size,
    rowsOfUnprocessed,
    processedTwice,
    duplicated: rows - rowsById.size + rowsOfUnprocessed.length + processedTwice.length,
  };
}

function expectExactlyOnce(result: Tally, sent: Sent[], version: Version): void {
  const passing = sent.filter((s) => passes(s.kind, version)).length;
  expect(result.lost).toEqual([]);
  expect(result.wrong).toEqual([]);
  expect(result.rowsOfUnprocessed).toEqual([]);
  expect(result.processedTwice).toEqual([]);
  expect(result.processed).toHaveLength(passing);
  expect(result.quarantined).toHaveLength(sent.length - passing);
  expect(result.processed.length + result.quarantined.length).toBe(sent.length);
  expect({ rows: result.rows, distinct: result.distinctRows }).toEqual({
    rows: result.processed.length,
    distinct: result.processed.length,
  });
}

function describeTally(result: Tally): string {
  const stuck = result.lost.length
    ? `; left ${[...new Set(result.lost.map((l) => l.status))].join('/')}: ${result.lost.length}`
    : '';
  return `${result.processed.length} processed, ${result.quarantined.length} quarantined, ${result.rows} rows (${result.distinctRows} distinct)${stuck}`;
}

const stackEnv = {
  RATE_LIMIT_PER_SECOND: '100000',
  RATE_LIMIT_BURST: '100000',
  TRACKING_PLAN_CACHE_SECONDS: '1',
};

/** Version 1, then 2,000 events, settled with 1,000 of them quarantined. */
async function quarantineHalf(harness: StackHarness): Promise<Sent[]> {
  await importPlan(harness.stack, 1);
  // Instances hold the plan for a second.
  await sleep(1500);
  const sent = await sendAll(harness.stack);
  const expected = expectedUnder(sent, 1);
  const statuses = await waitForStatuses(harness.firestore, expected, 90_000);
  expect(sent.filter((s) => statuses.get(s.eventId) !== expected.get(s.eventId))).toEqual([]);
  return sent;
}

/** Seconds since `from`, for the notes. */
function secondsSince(from: number): number {
  return Math.round((Date.now() - from) / 1000);
}

/** When the lost events were queued, relative to the kill that followed each. */
function lostAgainstKills(result: Tally, kills: Date[]): string {
  if (result.lost.length === 0) return '';
  const lost = [...result.lostRecords.values()];
  const histories = [...new Set(lost.map((r) => r.history.map((h) => h.status).join('>')))];
  const perKill = kills.map(() => 0);
  const before: number[] = [];
  let afterKills = 0;
  for (const record of lost) {
    const queuedAt = record.queuedAt?.getTime() ?? Number.NaN;
    const next = kills.findIndex((kill) => kill.getTime() >= queuedAt);
    if (next === -1) afterKills += 1;
    else {
      perKill[next] = (perKill[next] ?? 0) + 1;
      before.push(kills[next]!.getTime() - queuedAt);
    }
  }
  const window = before.length
    ? `, queued ${Math.min(...before)}-${Math.max(...before)} ms before a kill (${perKill.map((n, i) => `${n} before kill ${i + 1}`).join(', ')})`
    : '';
  return `; lost records: ${histories.join(' | ')}${window}${afterKills ? `, ${afterKills} not before any kill` : ''}`;
}

describe('a quarantine replay whose worker is killed halfway', () => {
  let harness: StackHarness | undefined;

  beforeAll(async () => {
    harness = await startStack({
      label: 'qreplaykill',
      pubsubEmulatorHost: inject('pubsubEmulatorHost'),
      firestoreEmulatorHost: inject('firestoreEmulatorHost'),
      logLevel: 'debug',
      env: stackEnv,
    });
  });
  afterAll(async () => {
    await harness?.close();
  });

  it(
    'ends with each event PROCESSED exactly once or still QUARANTINED, as the plan says',
    { timeout: 180_000 },
    async () => {
      const h = harness!;
      const { stack, firestore } = h;
      const started = Date.now();
      const sent = await quarantineHalf(h);
      const sentSeconds = secondsSince(started);
      const quarantined = sent.filter((s) => !passes(s.kind, 1)).length;
      const steps = Math.ceil(quarantined / pageSize);
      expect(steps).toBeGreaterThanOrEqual(4);

      await importPlan(stack, 2);
      const replayStarted = Date.now();
      const replayId = await startReplay(stack);

      // Killed without warning in the middle of a step, twice (the second and the
      // second-to-last): a third of the step before's time after the step began.
      const kills: Date[] = [];
      const killNotes: string[] = [];
      for (const step of [1, steps - 2]) {
        await waitForStep(firestore, replayId, step - 1, 60_000);
        const previousSeen = step === 1 ? replayStarted : Date.now();
        const job = await waitForStep(firestore, replayId, step, 60_000);
        const stepSeen = Date.now();
        expect(job.status).toBe('running');
        const wait = Math.round((stepSeen - previousSeen) / 3);
        await sleep(wait);
        const killed = stack.functionProcess('replayQuarantine');
        expect(killed?.kill('SIGKILL')).toBe(true);
        kills.push(new Date());
        const atKill = await jobRecord(firestore, replayId);
        // Mid-replay; and mid-step unless the step saved its progress just before.
        expect(atKill.status).toBe('running');
        killNotes.push(
          `${wait} ms into step ${step} of ${steps}${atKill.step === step ? '' : ' (just saved)'}`,
        );
        // Back as a new process before the next kill.
        const deadline = Date.now() + 30_000;
        while (stack.functionProcess('replayQuarantine') === killed && Date.now() < deadline)
          await sleep(100);
      }

      const job = await waitForReplay(stack, replayId, 90_000);
      const replaySeconds = secondsSince(replayStarted);
      await waitForStatuses(firestore, expectedUnder(sent, 2), 30_000);
      // A further replay of the same plan, with no fault: it changes nothing, and it is
      // what an operator would run to pick up anything the killed steps left behind.
      const again = await waitForReplay(stack, await startReplay(stack), 60_000);
      const statuses = await waitForStatuses(firestore, expectedUnder(sent, 2), 10_000);
      const result = await tally(h, sent, statuses, 2);
      recordFault(inject('faultLedger'), {
        scenario: 'quarantine replay worker killed mid-step',
        faultsInjected: kills.length,
        eventsSent: sent.length,
        lost: result.lost.length,
        duplicated: result.duplicated,
        serverErrorsOnBadInput: 0,
        note: `${quarantined} of ${sent.length} quarantined (sent and settled in ${sentSeconds} s); replayed in ${steps} steps of ${pageSize} against a version passing ${sent.filter((s) => s.kind === 'fixedByV2').length}; replayQuarantine SIGKILLed ${killNotes.join(', ')}; job completed in ${replaySeconds} s (replayed ${job.replayed}, still failing ${job.stillFailing}, skipped ${job.skipped}, failed ${job.failed}, remaining ${job.remaining}); a further replay matched ${again.matched}, replayed ${again.replayed}; ${describeTally(result)}${lostAgainstKills(result, kills)}; ${secondsSince(started)} s in all`,
      });
      expectExactlyOnce(result, sent, 2);
      expect(job.failed).toBe(0);
      // The counts of a job whose steps were killed and redone still add up to what it matched.
      expect(job.remaining).toBe(0);
      expect(job.replayed + job.stillFailing + job.skipped).toBe(job.matched);
      const neverFixed = sent.filter((s) => !passes(s.kind, 2)).length;
      expect(again).toMatchObject({ matched: neverFixed, replayed: 0, stillFailing: neverFixed });
      expect(h.logs.join('')).toContain('[replayQuarantine] exited (SIGKILL); restarting');
      expect(leakedSecrets(h.logs, [stack.info.apiKey, stack.info.adminToken, marker])).toEqual([]);
    },
  );
});

describe('a plan published while a quarantine replay runs', () => {
  let harness: StackHarness | undefined;

  beforeAll(async () => {
    harness = await startStack({
      label: 'qreplayplan',
      pubsubEmulatorHost: inject('pubsubEmulatorHost'),
      firestoreEmulatorHost: inject('firestoreEmulatorHost'),
      logLevel: 'debug',
      env: stackEnv,
    });
  });
  afterAll(async () => {
    await harness?.close();
  });

  it(
    'ends, after a final replay, with each event as the newest plan says, none lost or twice',
    { timeout: 180_000 },
    async () => {
      const h = harness!;
      const { stack, firestore } = h;
      const started = Date.now();
      const sent = await quarantineHalf(h);
      const sentSeconds = secondsSince(started);
      const quarantined = sent.filter((s) => !passes(s.kind, 1)).length;
      const neverFixed = sent.filter((s) => s.kind === 'neverFixed').length;
      const steps = Math.ceil(quarantined / pageSize);

      await importPlan(stack, 2);
      const replayStarted = Date.now();
      const replayId = await startReplay(stack);
      // Once the first step has run against version 2, version 3 lets more through.
      const before = await waitForStep(firestore, replayId, 1, 60_000);
      expect(before.status).toBe('running');
      await importPlan(stack, 3);
      const at = await jobRecord(firestore, replayId);
      // Published while the job still had steps to run.
      expect(at.status).toBe('running');
      expect(at.step).toBeLessThan(steps);

      // Pages checked after the publish use version 3; those before it left quarantined
      // the events only version 3 passes. A final replay takes them.
      const during = await waitForReplay(stack, replayId, 90_000);
      const final = await waitForReplay(stack, await startReplay(stack), 90_000);
      const statuses = await waitForStatuses(firestore, expectedUnder(sent, 3), 30_000);
      const again = await waitForReplay(stack, await startReplay(stack), 60_000);
      const replaySeconds = secondsSince(replayStarted);
      const result = await tally(h, sent, statuses, 3);

      const kept = await records(firestore, result.quarantined);
      const staleViolations = [...kept]
        .filter(([, record]) => !record.violations.every((v) => v.version === 3))
        .map(([id]) => id);
      recordFault(inject('faultLedger'), {
        scenario: 'plan published during a quarantine replay',
        faultsInjected: 1,
        eventsSent: sent.length,
        lost: result.lost.length,
        duplicated: result.duplicated,
        serverErrorsOnBadInput: 0,
        note: `${quarantined} of ${sent.length} quarantined (sent and settled in ${sentSeconds} s); replay against version 2 (passing ${sent.filter((s) => s.kind === 'fixedByV2').length}) with version 3 (passing ${quarantined - neverFixed}) published at step ${at.step} of ${steps}: replayed ${during.replayed}, still failing ${during.stillFailing}; final replay: replayed ${final.replayed}, still failing ${final.stillFailing}; one more: replayed ${again.replayed}; replays done in ${replaySeconds} s; ${describeTally(result)}${lostAgainstKills(result, [])}; ${secondsSince(started)} s in all`,
      });
      expectExactlyOnce(result, sent, 3);
      expect(during.failed + final.failed + again.failed).toBe(0);
      expect(final.stillFailing).toBe(neverFixed);
      expect(during.replayed + final.replayed).toBe(quarantined - neverFixed);
      // A replay of the same plan changes nothing.
      expect(again).toMatchObject({ matched: neverFixed, replayed: 0, stillFailing: neverFixed });
      // What stays quarantined says why in the newest version's terms.
      expect(staleViolations).toEqual([]);
      expect(leakedSecrets(h.logs, [stack.info.apiKey, stack.info.adminToken, marker])).toEqual([]);
    },
  );
});
