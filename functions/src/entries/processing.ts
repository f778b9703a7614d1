import { createProcessEventHandler, createRecordDeadLetterHandler } from '../process/handlers.ts';
import type { ProcessDeps } from '../process/processEvent.ts';
import type { Runtime } from '../runtime.ts';
import type { EntryPoints } from './entryPoint.ts';
import { eventStatusStore, planGate, privacyGate, webhookRouter } from './shared.ts';

/** What `processEvent` and `recordDeadLetter` are given, built once per runtime. */
export function processDeps(runtime: Runtime): ProcessDeps {
  return runtime.shared('process', () => ({
    store: eventStatusStore(runtime),
    publisher: runtime.publisher,
    now: () => new Date(),
    ttlDays: runtime.config.eventTtlDays,
    logger: runtime.logger,
    webhooks: webhookRouter(runtime),
    messageLimits: runtime.config.messageLimits,
    plan: planGate(runtime),
    privacy: privacyGate(runtime),
  }));
}

export function entryPoints(runtime: Runtime): EntryPoints {
  const deps = () => processDeps(runtime);
  return {
    processEvent: { signature: 'cloudevent', handler: createProcessEventHandler(deps) },
    recordDeadLetter: { signature: 'cloudevent', handler: createRecordDeadLetterHandler(deps) },
  };
}
