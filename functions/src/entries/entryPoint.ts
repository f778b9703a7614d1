import type { CloudEventFunction, HttpFunction } from '@google-cloud/functions-framework';
import type { FunctionName } from '../../../infra/spec.ts';

export type EntryPoint =
  | { signature: 'http'; handler: HttpFunction }
  | { signature: 'cloudevent'; handler: CloudEventFunction };

/** The handlers an entry module gives, for the functions it serves. */
export type EntryPoints = Partial<Record<FunctionName, EntryPoint>>;
