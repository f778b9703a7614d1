import type { CloudEventFunction } from '@google-cloud/functions-framework';
import { subscriber } from '../lib/subscriber.ts';
import { processEvent, type ProcessDeps } from './processEvent.ts';
import { recordDeadLetter, type DeadLetterDeps } from './recordDeadLetter.ts';

export function createProcessEventHandler(getDeps: () => ProcessDeps): CloudEventFunction {
  return subscriber('processEvent', getDeps, processEvent);
}

export function createRecordDeadLetterHandler(getDeps: () => DeadLetterDeps): CloudEventFunction {
  return subscriber('recordDeadLetter', getDeps, recordDeadLetter);
}
