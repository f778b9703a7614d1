import type { Timestamp } from '@google-cloud/firestore';
import { describe, expect, it } from 'vitest';
import { SecretBox } from '../lib/encryption.ts';
import { createLogger } from '../lib/logger.ts';
import type { OutgoingMessage, Publisher } from '../lib/publisher.ts';
import type { PushedMessage } from '../lib/pushedMessage.ts';
import type { Activity } from './activityEvent.ts';
import { encodeFetchRequest } from './fetchMessage.ts';
import type { FetchCursor } from './fetchWindow.ts';
import { fetchWorkspaceLogs } from './fetchWorkspaceLogs.ts';
import { pollWorkspace } from './pollWorkspace.ts';
import type { ActivityPageRequest, ActivityReports } from './reportsClient.ts';
import { ReportsApiError } from './reportsError.ts';
import { newSource, type WorkspaceSource } from './source.ts';
import { sealCredentials } from './sourceCredentials.ts';
import type { SeenActivities, SourceProgress, SourceStore, StoredCursor } from './sourceStore.ts';
import type { WorkspaceDeps } from './workspaceDeps.ts';

const now = new Date('2026-11-01T12:00:00Z');
const box = new SecretBox({ id: 'k1', key: Buffer.alloc(32, 3) });

class MemorySources implements SourceStore {
  readonly sources = new Map<string, WorkspaceSource>();
  readonly cursors = new Map<string, { cursor: FetchCursor; version: number }>();
  readonly progress: SourceProgress[] = [];
  /** Another fetch writes the cursor just before ours does. */
  raceOnNextPut = false;

  create(source: WorkspaceSource) {
    this.sources.set(source.id, source);
    return Promise.resolve();
  }
  get(id: string) {
    return Promise.resolve(this.sources.get(id));
  }
  list() {
    return Promise.resolve([...this.sources.values()]);
  }
  update(id: string, change: (s: WorkspaceSource) => WorkspaceSource) {
    const current = this.sources.get(id);
    if (current) this.sources.set(id, change(current));
    return Promise.resolve(this.sources.get(id));
  }
  delete(id: string) {
    const current = this.sources.get(id);
    this.sources.delete(id);
    return Promise.resolve(current);
  }
  recordProgress(id: string, progress: SourceProgress) {
    this.progress.push(progress);
    const current = this.sources.get(id);
    if (current) {
      this.sources.set(id, {
        ...current,
        ...(progress.status ? { status: progress.status } : {}),
        ...(progress.nextPollAt ? { nextPollAt: progress.nextPollAt } : {}),
      });
    }
    return Promise.resolve();
  }
  getCursor(sourceId: string, application: string): Promise<StoredCursor | undefined> {
    const stored = this.cursors.get(`${sourceId}/${application}`);
    return Promise.resolve(
      stored && { cursor: stored.cursor, updateTime: stored.version as unknown as Timestamp },
    );
  }
  listCursors() {
    return Promise.resolve([...this.cursors.values()].map((c) => c.cursor));
  }
  putCursor(sourceId: string, cursor: FetchCursor, readAt: Timestamp | undefined) {
    const key = `${sourceId}/${cursor.application}`;
    const stored = this.cursors.get(key);
    if (this.raceOnNextPut) {
      this.raceOnNextPut = false;
      this.cursors.set(key, { cursor, version: (stored?.version ?? 0) + 1 });
      return Promise.resolve('conflict' as const);
    }
    if ((stored?.version as unknown) !== (readAt as unknown))
      return Promise.resolve('conflict' as const);
    this.cursors.set(key, { cursor, version: (stored?.version ?? 0) + 1 });
    return Promise.resolve('written' as const);
  }
}

class MemorySeen implements SeenActivities {
  readonly keys = new Set<string>();
  seen(sourceId: string, keys: readonly string[]) {
    return Promise.resolve(new Set(keys.filter((key) => this.keys.has(`${sourceId}/${key}`))));
  }
  remember(sourceId: string, keys: readonly string[]) {
    for (const key of keys) this.keys.add(`${sourceId}/${key}`);
    return Promise.resolve();
  }
}

class RecordingPublisher implements Publisher {
  readonly messages: { topic: string; message: OutgoingMessage }[] = [];
  publish(topic: string, message: OutgoingMessage) {
    this.messages.push({ topic, message });
    return Promise.resolve(String(this.messages.length));
  }
  /** What was published to a topic, a message of many events read as its events. */
  on(topic: string) {
    return this.messages
      .filter((m) => m.topic === topic)
      .flatMap(({ message }) => {
        const data = JSON.parse(message.data.toString()) as Record<string, unknown>;
        return message.attributes.events === undefined
          ? [data]
          : (data.events as Record<string, unknown>[]);
      });
  }

  /** Messages published to a topic. */
  count(topic: string) {
    return this.messages.filter((m) => m.topic === topic).length;
  }
}

/** Pages of `pageSize` activities, newest first; or a failure. */
class ScriptedReports implements ActivityReports {
  readonly requests: ActivityPageRequest[] = [];
  failure: ReportsApiError | undefined;
  readonly activities: Activity[];
  constructor(activities: Activity[]) {
    this.activities = activities;
  }
  listPage(request: ActivityPageRequest) {
    this.requests.push(request);
    if (this.failure) return Promise.reject(this.failure);
    const offset = Number(request.pageToken ?? 0);
    const inWindow = this.activities
      .filter((a) => {
        const time = Date.parse(a.id!.time!);
        return time >= request.startTime.getTime() && time < request.endTime.getTime();
      })
      .reverse();
    const items = inWindow.slice(offset, offset + request.maxResults);
    const next = offset + request.maxResults;
    return Promise.resolve({
      items,
      nextPageToken: next < inWindow.length ? String(next) : undefined,
    });
  }
}

function activityAt(minutesBefore: number, qualifier: string): Activity {
  return {
    id: {
      time: new Date(now.getTime() - minutesBefore * 60_000).toISOString(),
      uniqueQualifier: qualifier,
    },
    events: [{ name: 'login_success' }],
  };
}

function fixture(activities: Activity[], overrides: Partial<WorkspaceSource> = {}) {
  const sources = new MemorySources();
  const id = 'src_AAAAAAAAAAAAAAAAAAAAAA';
  sources.sources.set(id, {
    ...newSource(
      {
        id,
        name: null,
        applications: ['login'],
        lagSeconds: { login: 0 },
        logFetchIntervalSeconds: 300,
        callbackUrl: null,
        credentialsType: 'oauth',
        credentialsCiphertext: sealCredentials(box, id, {
          type: 'oauth',
          clientId: 'c',
          clientSecret: 's',
          refreshToken: 'r',
        }),
        startAt: new Date(now.getTime() - 3600_000),
      },
      now,
    ),
    ...overrides,
  });
  const reports = new ScriptedReports(activities);
  const publisher = new RecordingPublisher();
  let clock = 0;
  const deps: WorkspaceDeps = {
    sources,
    seen: new MemorySeen(),
    reports,
    publisher,
    secrets: box,
    now: () => now,
    clock: () => (clock += 10),
    logger: createLogger({ level: 'silent' }),
    settings: {
      overlapSeconds: 900,
      maxWindowSeconds: 6 * 3600,
      pageSize: 2,
      fetchBudgetMs: 1000,
      backoffBaseSeconds: 60,
      backoffMaxSeconds: 3600,
      seenTtlDays: 7,
      messageLimits: { maxEvents: 500, maxBytes: 4_000_000 },
    },
  };
  const message = (reason: 'schedule' | 'manual' = 'manual'): PushedMessage => ({
    messageId: '1',
    data: encodeFetchRequest({ sourceId: id, application: 'login', reason }).data,
    attributes: {},
    publishTime: undefined,
  });
  return { id, sources, reports, publisher, deps, message };
}

describe('fetchWorkspaceLogs', () => {
  it('pages through the window, then moves the cursor to its end', async () => {
    const f = fixture([activityAt(50, 'a'), activityAt(40, 'b'), activityAt(30, 'c')]);
    const outcome = await fetchWorkspaceLogs(f.message(), f.deps);
    expect(outcome).toMatchObject({ kind: 'fetched', pages: 2, published: 3, windowsCompleted: 1 });
    expect(f.publisher.on('events')).toHaveLength(3);
    // One message per page of activities: a page of two, then a page of one.
    expect(f.publisher.count('events')).toBe(2);
    expect(f.reports.requests.map((r) => r.pageToken)).toEqual([undefined, '2']);
    expect(f.sources.cursors.get(`${f.id}/login`)?.cursor).toMatchObject({
      cursor: now,
      window: null,
      eventsFetched: 3,
    });
  });

  it('publishes nothing twice when the next window overlaps the last', async () => {
    const f = fixture([activityAt(50, 'a'), activityAt(5, 'b')]);
    await fetchWorkspaceLogs(f.message(), f.deps);
    const cursor = f.sources.cursors.get(`${f.id}/login`)!;
    // The next poll reaches 15 minutes back: b is fetched again, and not published again.
    f.sources.cursors.set(`${f.id}/login`, {
      ...cursor,
      cursor: { ...cursor.cursor, cursor: new Date(now.getTime() - 60_000) },
    });
    await fetchWorkspaceLogs(f.message(), f.deps);
    expect(f.reports.requests).toHaveLength(2);
    expect(f.publisher.on('events')).toHaveLength(2);
  });

  it('hands the rest of the window to a continuation when its time is spent', async () => {
    const f = fixture(Array.from({ length: 9 }, (_, i) => activityAt(50 - i, `q${i}`)));
    f.deps.settings.fetchBudgetMs = 25;
    const outcome = await fetchWorkspaceLogs(f.message(), f.deps);
    expect(outcome).toMatchObject({ kind: 'fetched', continued: true });
    expect(f.publisher.on('workspace-fetch')).toEqual([
      { sourceId: f.id, application: 'login', reason: 'continuation' },
    ]);
    expect(f.sources.cursors.get(`${f.id}/login`)?.cursor.pageToken).not.toBeNull();
  });

  it('stops when another fetch moved the cursor', async () => {
    const f = fixture([activityAt(50, 'a'), activityAt(40, 'b'), activityAt(30, 'c')]);
    f.sources.raceOnNextPut = true;
    expect(await fetchWorkspaceLogs(f.message(), f.deps)).toEqual({ kind: 'superseded' });
  });

  it.each([
    ['credentials_invalid', 'credentials_invalid'],
    ['paused', 'paused'],
  ] as const)('skips a source that is %s', async (status, reason) => {
    const f = fixture([activityAt(50, 'a')], { status });
    expect(await fetchWorkspaceLogs(f.message(), f.deps)).toEqual({ kind: 'skipped', reason });
    expect(f.reports.requests).toHaveLength(0);
  });

  it('stops a source whose credentials are refused, and acknowledges', async () => {
    const f = fixture([activityAt(50, 'a')]);
    f.reports.failure = new ReportsApiError(
      'credentials',
      400,
      'token endpoint answered 400 (invalid_grant)',
    );
    expect(await fetchWorkspaceLogs(f.message(), f.deps)).toEqual({
      kind: 'skipped',
      reason: 'credentials_invalid',
    });
    expect(f.sources.sources.get(f.id)?.status).toBe('credentials_invalid');
  });

  it('backs off and throws on a quota error; a redelivery inside the backoff does not call the API', async () => {
    const f = fixture([activityAt(50, 'a')]);
    f.reports.failure = new ReportsApiError('quota', 429, 'Reports API 429');
    await expect(fetchWorkspaceLogs(f.message(), f.deps)).rejects.toThrow('429');
    const source = f.sources.sources.get(f.id)!;
    expect(source.status).toBe('backing_off');
    expect(source.nextPollAt).toEqual(new Date(now.getTime() + 60_000));
    await expect(fetchWorkspaceLogs(f.message(), f.deps)).rejects.toThrow('Backing off until');
    expect(f.reports.requests).toHaveLength(1);
  });

  it('seals credentials again with the current key after a rotation', async () => {
    const f = fixture([activityAt(50, 'a')]);
    const sealedBefore = f.sources.sources.get(f.id)!.credentialsCiphertext;
    f.deps.secrets = new SecretBox({ id: 'k2', key: Buffer.alloc(32, 9) }, [
      { id: 'k1', key: Buffer.alloc(32, 3) },
    ]);
    await fetchWorkspaceLogs(f.message(), f.deps);
    const sealedAfter = f.sources.sources.get(f.id)!.credentialsCiphertext;
    expect(sealedBefore.split('.')[1]).toBe('k1');
    expect(sealedAfter.split('.')[1]).toBe('k2');
    expect(f.publisher.on('events')).toHaveLength(1);
  });

  it('records a request the API refuses for good, and acknowledges', async () => {
    const f = fixture([activityAt(50, 'a')]);
    f.reports.failure = new ReportsApiError('request', 400, 'Reports API 400 invalid');
    expect(await fetchWorkspaceLogs(f.message(), f.deps)).toEqual({
      kind: 'skipped',
      reason: 'request_refused',
    });
    expect(f.sources.progress.at(-1)?.lastError).toMatchObject({ code: 'workspace_request' });
  });
});

describe('pollWorkspace', () => {
  it('asks for one fetch per application of each due source, and sets the next poll', async () => {
    const f = fixture([], { applications: ['login', 'admin'] });
    const tick: PushedMessage = {
      messageId: 't',
      data: Buffer.from('{}'),
      attributes: {},
      publishTime: undefined,
    };
    expect(await pollWorkspace(tick, f.deps)).toEqual({ kind: 'polled', sources: 1, fetches: 2 });
    expect(f.publisher.on('workspace-fetch').map((m) => m.application)).toEqual(['login', 'admin']);
    expect(f.sources.sources.get(f.id)?.nextPollAt).toEqual(new Date(now.getTime() + 300_000));
    expect(await pollWorkspace(tick, f.deps)).toEqual({ kind: 'polled', sources: 0, fetches: 0 });
  });
});
