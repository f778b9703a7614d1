import type { CloudEvent } from '@google-cloud/functions-framework';
import { describe, expect, it } from 'vitest';
import { readPushedMessage } from './pushedMessage.ts';

/** A push as the functions framework hands it over, with the `source` its path gave it. */
function pushed(source: string | undefined): CloudEvent<unknown> {
  return {
    id: '42',
    specversion: '1.0',
    type: 'google.cloud.pubsub.topic.v1.messagePublished',
    ...(source === undefined ? {} : { source }),
    data: {
      message: {
        data: Buffer.from('{"a":1}').toString('base64'),
        attributes: { eventId: 'e-1' },
        messageId: '42',
        publishTime: '2026-01-01T00:00:00.000Z',
      },
    },
  } as CloudEvent<unknown>;
}

describe('readPushedMessage', () => {
  it.each([
    [
      'a local push, whose path names the topic',
      '//pubsub.googleapis.com/projects/p/topics/events',
    ],
    ['a push in the cloud, to the function URL itself', '//pubsub.googleapis.com/'],
    ['an event with no source at all', undefined],
  ])('reads %s the same way', (_case, source) => {
    expect(readPushedMessage(pushed(source))).toEqual({
      messageId: '42',
      data: Buffer.from('{"a":1}'),
      attributes: { eventId: 'e-1' },
      publishTime: '2026-01-01T00:00:00.000Z',
    });
  });

  it('refuses, without asking for redelivery, an event that carries no message', () => {
    expect(() => readPushedMessage({ ...pushed(undefined), data: {} })).toThrow(
      expect.objectContaining({ code: 'malformed_push', retriable: false }),
    );
  });
});
