import type { CloudEvent } from '@google-cloud/functions-framework';
import { PipelineError } from './errors.ts';

/** The body of a Pub/Sub push, as the functions framework hands it to a CloudEvent function. */
export type PushedMessage = {
  messageId: string;
  data: Buffer;
  attributes: Record<string, string>;
  publishTime: string | undefined;
};

type MessagePublishedData = {
  message?: {
    data?: string;
    attributes?: Record<string, string>;
    messageId?: string;
    publishTime?: string;
  };
};

export function readPushedMessage(event: CloudEvent<unknown>): PushedMessage {
  const message = (event.data as MessagePublishedData | undefined)?.message;
  if (!message || typeof message !== 'object') {
    // Nothing to record or retry: no message at all is a malformed push.
    throw new PipelineError('malformed_push', 'The CloudEvent carries no Pub/Sub message.', {
      retriable: false,
    });
  }
  return {
    messageId: message.messageId ?? event.id,
    data: Buffer.from(message.data ?? '', 'base64'),
    attributes: message.attributes ?? {},
    publishTime: message.publishTime,
  };
}
