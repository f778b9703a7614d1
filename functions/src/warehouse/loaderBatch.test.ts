import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  legacyProcessedMessage,
  processedBatchMessage,
  processedMessage,
} from '../../../test/support/warehouseFakes.ts';
import { planBatch, settleBatch } from './loaderBatch.ts';
import { rejectionId } from './rejectionStore.ts';

describe('planBatch', () => {
  it('makes one row per event, keeping every message that carried it', () => {
    const id = randomUUID();
    const plan = planBatch([
      processedMessage('a', id),
      processedMessage('b'),
      processedMessage('c', id),
    ]);
    expect(plan.rows.map((r) => r.event_id)).toEqual([id, expect.any(String)]);
    expect(plan.sources.map((s) => s.map((m) => m.ackId))).toEqual([['a', 'c'], ['b']]);
    expect(plan.invalid).toEqual([]);
  });

  it('drops the events it is told to, acknowledging their messages with the rest', () => {
    const dropped = randomUUID();
    const plan = planBatch(
      [processedMessage('a', dropped), processedMessage('b')],
      (event) => event.eventId === dropped,
    );
    expect(plan.dropped).toBe(1);
    expect(plan.rows.map((row) => row.event_id)).not.toContain(dropped);
    expect(settleBatch(plan, { rejected: [] }).written).toEqual(['a', 'b']);
  });

  it('sets aside messages and events that are not processed events, with the reason', () => {
    const bad = { ...processedMessage('x'), data: Buffer.from('{"not":"events"}') };
    const badEvent = {
      ...processedMessage('w'),
      data: Buffer.from('{"events":[{"not":"an event"}]}'),
    };
    const plan = planBatch([bad, badEvent, processedMessage('y')]);
    expect(plan.rows).toHaveLength(1);
    expect(plan.invalid.map((item) => item.rejection)).toEqual([
      expect.objectContaining({
        messageId: 'm-x',
        data: '{"not":"events"}',
        reason: expect.stringContaining('no events array'),
      }),
      expect.objectContaining({
        messageId: 'm-w',
        position: 0,
        data: '{"not":"an event"}',
        reason: expect.stringContaining('invalid processed event 0'),
      }),
    ]);
  });

  it('reads a message of the earlier one-event format as a message of one', () => {
    const id = randomUUID();
    const plan = planBatch([legacyProcessedMessage('old', id), processedMessage('new')]);
    expect(plan.rows.map((row) => row.event_id)).toEqual([id, expect.any(String)]);
    expect(plan.invalid).toEqual([]);
    expect(settleBatch(plan, { rejected: [] }).written).toEqual(['old', 'new']);
  });
});

describe('settleBatch', () => {
  const id = randomUUID();
  const messages = [processedMessage('a', id), processedMessage('b'), processedMessage('c', id)];
  const bad = { ...processedMessage('z'), data: Buffer.from('nope') };

  it.each([
    ['everything written', [], ['a', 'b', 'c'], [], 2],
    ['one event refused', [{ index: 0, reason: 'too big' }], ['b'], [['a', 'c']], 1],
    [
      'everything refused',
      [
        { index: 0, reason: 'x' },
        { index: 1, reason: 'y' },
      ],
      [],
      [['a', 'c'], ['b']],
      0,
    ],
  ])('%s', (_, rejected, written, rejectedAckIds, rowsWritten) => {
    const settlement = settleBatch(planBatch([...messages, bad]), { rejected });
    expect(settlement.written).toEqual(written);
    expect(settlement.rowsWritten).toBe(rowsWritten);
    expect(settlement.duplicates).toBe(1);
    // The unreadable message is always refused, last.
    expect(settlement.rejections.map((r) => r.ackIds)).toEqual([...rejectedAckIds, ['z']]);
  });

  it('records the warehouse reason and the event id of a refused row', () => {
    const settlement = settleBatch(planBatch(messages), {
      rejected: [{ index: 0, reason: 'too big' }],
    });
    expect(settlement.rejections[0]!.rejection).toMatchObject({
      eventId: id,
      reason: 'too big',
      messageId: 'm-a',
    });
  });
});

describe('messages of many events', () => {
  const shared = randomUUID();
  const batch = processedBatchMessage('many', [{}, { eventId: shared }, {}]);
  const single = processedMessage('one', shared);

  it('makes a row of each event, one row for an event two messages carried', () => {
    const plan = planBatch([batch, single]);
    expect(plan.rows).toHaveLength(3);
    expect(plan.sources.map((s) => s.map((m) => m.ackId))).toEqual([
      ['many'],
      ['many', 'one'],
      ['many'],
    ]);
  });

  it.each([
    ['every event written', [], ['many', 'one'], []],
    ['one event of the batch refused', [{ index: 2, reason: 'too big' }], ['one'], [['many']]],
    ['the event both carried refused', [{ index: 1, reason: 'too big' }], [], [['many', 'one']]],
  ])('acknowledges a message once all its events are settled: %s', (_, rejected, written, held) => {
    const settlement = settleBatch(planBatch([batch, single]), { rejected });
    expect(settlement.written).toEqual(written);
    expect(settlement.rejections.map((r) => r.ackIds)).toEqual(held);
  });

  it('records a refused event of a message of many by itself, not the whole message', () => {
    const plan = planBatch([batch]);
    const settlement = settleBatch(plan, { rejected: [{ index: 2, reason: 'too big' }] });
    const { rejection } = settlement.rejections[0]!;
    expect(rejection.eventId).toBe(plan.rows[2]!.event_id);
    expect(rejection.data).toBe(JSON.stringify(plan.rows[2]));
    expect(rejection.data).not.toContain(shared);
  });

  it('keeps two unreadable events of one message apart', () => {
    const mixed = processedBatchMessage('two-bad', [
      { overrides: { eventType: 'Bad', eventId: 'not-a-uuid' } },
      {},
      { overrides: { eventType: 'Bad', eventId: 'not-a-uuid' } },
    ]);
    const ids = planBatch([mixed]).invalid.map(({ rejection }) => rejectionId(rejection));
    expect(ids).toEqual(['message-m-two-bad-0', 'message-m-two-bad-2']);
  });

  it('holds a message with one unreadable event until its refusal is recorded', () => {
    const mixed = processedBatchMessage('mixed', [{}, { overrides: { eventType: 'Bad' } }]);
    const plan = planBatch([mixed]);
    expect(plan.rows).toHaveLength(1);
    expect(plan.invalid[0]!.rejection).toMatchObject({
      reason: expect.stringContaining('invalid processed event 1'),
      data: expect.stringContaining('"Bad"'),
    });
    const settlement = settleBatch(plan, { rejected: [] });
    expect(settlement.written).toEqual([]);
    expect(settlement.rejections.map((r) => r.ackIds)).toEqual([['mixed']]);
  });
});
