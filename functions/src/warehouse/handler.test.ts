import type { CloudEvent } from '@google-cloud/functions-framework';
import { describe, expect, it } from 'vitest';
import {
  FakePullSource,
  FakeRejectionStore,
  FakeWarehouse,
  processedMessage,
} from '../../../test/support/warehouseFakes.ts';
import { createLogger } from '../lib/logger.ts';
import type { OutgoingMessage, Publisher } from '../lib/publisher.ts';
import { createLoadWarehouseHandler, requestedRuns, type LoadWarehouseDeps } from './handler.ts';

function trigger(data: string): CloudEvent<unknown> {
  return {
    id: '1',
    source: '//pubsub',
    type: 'google.cloud.pubsub.topic.v1.messagePublished',
    specversion: '1.0',
    data: { message: { data: Buffer.from(data).toString('base64'), messageId: '1' } },
  };
}

class RecordingPublisher implements Publisher {
  readonly published: { topic: string; data: string }[] = [];
  publish(topic: string, message: OutgoingMessage): Promise<string> {
    this.published.push({ topic, data: message.data.toString() });
    return Promise.resolve(String(this.published.length));
  }
}

function deps(
  source: FakePullSource,
  warehouse = new FakeWarehouse(),
  publisher: Publisher = new RecordingPublisher(),
): LoadWarehouseDeps {
  return {
    source,
    publisher,
    warehouse,
    rejections: new FakeRejectionStore(),
    logger: createLogger({ level: 'silent' }),
    now: () => new Date(),
    clock: () => Date.now(),
    limits: {
      batchRows: 100,
      maxRowsPerRun: 1000,
      maxEventsPerMessage: 500,
      runBudgetMs: 10_000,
      pullConcurrency: 2,
      batchWaitMs: 1000,
      maxMessagesPerPull: 1000,
    },
  };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  const gate = { resolve: (): void => undefined } as {
    promise: Promise<void>;
    resolve: () => void;
  };
  gate.promise = new Promise<void>((done) => {
    gate.resolve = done;
  });
  return gate;
}

describe('the loadWarehouse entry point', () => {
  it('runs the loader for any trigger message and acknowledges it', async () => {
    const source = new FakePullSource([processedMessage('a'), processedMessage('b')]);
    const warehouse = new FakeWarehouse();
    const handler = createLoadWarehouseHandler(() => deps(source, warehouse));
    await expect(handler(trigger('not even json'))).resolves.toBeUndefined();
    expect(warehouse.rows).toHaveLength(2);
    expect(source.acknowledged).toHaveLength(2);
  });

  it.each([
    ['{"runs":3}', 3],
    ['{}', 1],
    ['{"runs":0}', 1],
    ['{"runs":"2"}', 1],
    ['{"runs":1000}', 16],
    ['null', 1],
    ['not json', 1],
  ])('reads %s as %i run(s)', (data, runs) => {
    expect(requestedRuns(Buffer.from(data))).toBe(runs);
  });

  it('starts the extra runs a trigger asks for as plain triggers, so they fan out no further', async () => {
    const publisher = new RecordingPublisher();
    const handler = createLoadWarehouseHandler(() =>
      deps(new FakePullSource([]), new FakeWarehouse(), publisher),
    );
    await handler(trigger('{"runs":3}'));
    expect(publisher.published).toEqual([
      { topic: 'warehouse-load', data: '{}' },
      { topic: 'warehouse-load', data: '{}' },
    ]);
  });

  it('starts no second run while one is in progress in the instance', async () => {
    const source = new FakePullSource([processedMessage('a')]);
    const warehouse = new FakeWarehouse();
    const gate = deferred();
    const write = warehouse.write.bind(warehouse);
    warehouse.write = async (rows) => {
      await gate.promise;
      return write(rows);
    };
    const handler = createLoadWarehouseHandler(() => deps(source, warehouse));
    const first = handler(trigger('{}'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const pulls = source.pulls;
    await handler(trigger('{}'));
    expect(source.pulls).toBe(pulls);
    gate.resolve();
    await first;
    expect(warehouse.calls).toEqual([1]);
  });

  it('acknowledges the trigger when the warehouse is down; the messages wait for the next run', async () => {
    const source = new FakePullSource([processedMessage('a')]);
    const warehouse = new FakeWarehouse();
    warehouse.failures = 1;
    const handler = createLoadWarehouseHandler(() => deps(source, warehouse));
    await expect(handler(trigger('{}'))).resolves.toBeUndefined();
    expect(source.queue).toHaveLength(1);
  });

  it('acknowledges a push that carries no message at all', async () => {
    const handler = createLoadWarehouseHandler(() => deps(new FakePullSource([])));
    await expect(handler({ ...trigger('{}'), data: {} })).resolves.toBeUndefined();
  });
});
