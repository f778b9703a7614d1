import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxProcessingAttempts } from '../../infra/spec.ts';
import type { EventEnvelope } from '../../functions/src/lib/eventEnvelope.ts';
import { eventMessage } from '../../functions/src/lib/eventMessages.ts';
import { sleep } from '../../scripts/lib/emulators.ts';
import { adminHeaders, seedFailedEvent } from '../support/failedEvents.ts';
import {
  eventRecord,
  postJson,
  startTestPipeline,
  waitForStatus,
  type TestPipeline,
} from '../support/pipeline.ts';
import { processDeps } from '../../functions/src/entries/processing.ts';

type Job = {
  replayId: string;
  status: string;
  matched: number;
  replayed: number;
  skipped: number;
  failed: number;
  remaining: number;
  pages: number;
};

describe('replaying dead-lettered events through the pipeline', () => {
  let pipeline: TestPipeline;
  let single: EventEnvelope;
  let bulk: EventEnvelope[];

  beforeAll(async () => {
    // One page of two events per request, so the bulk replay has to be resumed.
    pipeline = await startTestPipeline({
      label: 'replay',
      env: { REPLAY_PAGE_SIZE: '2', REPLAY_BUDGET_MS: '1' },
    });
    // Dead-lettered as processEvent and recordDeadLetter leave them after every attempt
    // failed (the way there is covered by the pipeline tests): the replay is what is tested here.
    const deadLetter = async (eventType: string) =>
      JSON.parse(
        (
          await seedFailedEvent(pipeline, {
            status: 'DEAD_LETTER',
            attempts: maxProcessingAttempts,
            envelope: { eventType },
          })
        ).envelope!,
      ) as EventEnvelope;
    single = await deadLetter('order.single');
    bulk = [
      await deadLetter('order.bulk'),
      await deadLetter('order.bulk'),
      await deadLetter('order.bulk'),
    ];
  });
  afterAll(async () => {
    await pipeline.close();
  });

  it('replays one dead-lettered event to PROCESSED, keeping its history', async () => {
    const response = await postJson(
      `${pipeline.urls.api}/v1/admin/events/${single.eventId}/replay`,
      {},
      adminHeaders(pipeline),
    );
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ eventId: single.eventId, status: 'QUEUED', replay: 1 });

    const processed = await waitForStatus(pipeline, single.eventId, 'PROCESSED');
    expect(processed).toMatchObject({ attempts: 1, replays: 1, envelope: null });
    expect(processed.history.map((h) => `${h.status}/${h.replay}`)).toEqual([
      ...Array.from({ length: maxProcessingAttempts }, () => 'FAILED/0'),
      'DEAD_LETTER/0',
      'QUEUED/1',
      'PROCESSED/1',
    ]);

    const again = await postJson(
      `${pipeline.urls.api}/v1/admin/events/${single.eventId}/replay`,
      {},
      adminHeaders(pipeline),
    );
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('not_replayable');
  });

  it('bulk replay: the dry run equals what the job replays, page by page, resumable', async () => {
    const filter = { type: 'order.bulk', status: ['DEAD_LETTER'] };
    const dry = await postJson(
      `${pipeline.urls.api}/v1/admin/replays`,
      { dryRun: true, filter },
      adminHeaders(pipeline),
    );
    const { count } = (await dry.json()) as { count: number };
    expect(count).toBe(bulk.length);

    const started = await postJson(
      `${pipeline.urls.api}/v1/admin/replays`,
      { filter },
      adminHeaders(pipeline),
    );
    expect(started.status).toBe(201);
    let job = (await started.json()) as Job;
    expect(job).toMatchObject({ status: 'running', matched: count, replayed: 2, pages: 1 });

    for (let round = 0; job.status === 'running' && round < 5; round += 1) {
      const resumed = await postJson(
        `${pipeline.urls.api}/v1/admin/replays/${job.replayId}/resume`,
        {},
        adminHeaders(pipeline),
      );
      expect(resumed.status).toBe(200);
      job = (await resumed.json()) as Job;
    }
    expect(job).toMatchObject({
      status: 'completed',
      matched: count,
      replayed: count,
      skipped: 0,
      failed: 0,
      remaining: 0,
    });
    const progress = await fetch(`${pipeline.urls.api}/v1/admin/replays/${job.replayId}`, {
      headers: adminHeaders(pipeline),
    });
    expect(await progress.json()).toMatchObject({ status: 'completed', replayed: count });

    for (const envelope of bulk) {
      const record = await waitForStatus(pipeline, envelope.eventId, 'PROCESSED');
      expect(record.replays).toBe(1);
    }
    const after = await postJson(
      `${pipeline.urls.api}/v1/admin/replays`,
      { dryRun: true, filter },
      adminHeaders(pipeline),
    );
    expect(((await after.json()) as { count: number }).count).toBe(0);
  });

  it('ignores a dead-letter copy from before a replay', async () => {
    const { recordDeadLetter } = await import('../../functions/src/process/recordDeadLetter.ts');
    const envelope = bulk[0]!;
    const message = eventMessage(envelope);
    const outcome = await recordDeadLetter(
      {
        messageId: 'old',
        data: message.data,
        attributes: message.attributes,
        publishTime: undefined,
      },
      processDeps(pipeline.runtime),
    );
    expect(outcome).toEqual({ kind: 'settled', events: 1, recorded: 0 });
    await sleep(200);
    expect((await eventRecord(pipeline, envelope.eventId))?.status).toBe('PROCESSED');
  });
});
