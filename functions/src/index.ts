import * as functions from '@google-cloud/functions-framework';
import { createApiHandler } from './admin/apiHandler.ts';
import { createIngestHandler } from './ingest/ingestHandler.ts';
import { loadConfig } from './lib/config.ts';
import { installJsonFrameworkErrors } from './lib/frameworkErrors.ts';
import { createProcessEventHandler, createRecordDeadLetterHandler } from './process/handlers.ts';
import { Runtime } from './runtime.ts';

installJsonFrameworkErrors();

export const runtime = new Runtime(loadConfig());

functions.http('ingest', createIngestHandler(runtime.ingestDeps));
functions.http('api', createApiHandler(runtime.apiDeps));
functions.cloudEvent('processEvent', createProcessEventHandler(runtime.processDeps));
functions.cloudEvent('recordDeadLetter', createRecordDeadLetterHandler(runtime.deadLetterDeps));
