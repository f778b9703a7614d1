import type { CloudEvent, CloudEventFunction } from '@google-cloud/functions-framework';
import { isRetriable } from './errors.ts';
import type { Logger } from './logger.ts';
import { readPushedMessage, type PushedMessage } from './pushedMessage.ts';

/**
 * The ack rule, in one place: returning acknowledges the message; throwing asks
 * Pub/Sub to deliver it again. Only retriable failures throw.
 */
export function subscriber<Deps extends { logger: Logger }>(
  name: string,
  getDeps: () => Deps,
  handle: (message: PushedMessage, deps: Deps) => Promise<{ kind: string }>,
): CloudEventFunction {
  return async (event: CloudEvent<unknown>) => {
    const deps = getDeps();
    let message: PushedMessage;
    try {
      message = readPushedMessage(event);
    } catch (error) {
      deps.logger.error({ err: error, ceId: event.id }, `${name}: unreadable push acknowledged`);
      return;
    }
    // A delivery names its event; a message on `events` says how many it carries.
    const { eventId, events } = message.attributes;
    const log = deps.logger.child({ messageId: message.messageId, eventId, events });
    try {
      const outcome = await handle(message, { ...deps, logger: log });
      log.debug({ outcome: outcome.kind }, `${name} done`);
    } catch (error) {
      if (isRetriable(error)) {
        log.warn({ err: error }, `${name} failed; Pub/Sub will redeliver`);
        throw error;
      }
      log.error({ err: error }, `${name} failed permanently; acknowledged`);
    }
  };
}
