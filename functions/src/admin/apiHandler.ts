import { timingSafeEqual, createHash } from 'node:crypto';
import type { HttpFunction, Request, Response } from '@google-cloud/functions-framework';
import type { Logger } from '../lib/logger.ts';
import { traceFields } from '../lib/logger.ts';
import {
  bearerToken,
  HttpError,
  internalError,
  methodNotAllowed,
  notFound,
  routePath,
  sendHttpError,
} from '../lib/http.ts';
import type { EventRecord } from '../process/eventStatus.ts';
import type { EventStatusStore } from '../process/eventStatusStore.ts';

export type ApiDeps = {
  adminToken: string | undefined;
  events: EventStatusStore;
  logger: Logger;
  projectId: string;
};

/** The operators' API. */
export function createApiHandler(getDeps: () => ApiDeps): HttpFunction {
  return async (req: Request, res: Response) => {
    const deps = getDeps();
    const log = deps.logger.child(traceFields(req.headers, deps.projectId));
    try {
      const path = routePath(req);
      if (path === '/health') {
        if (req.method !== 'GET') throw methodNotAllowed(['GET']);
        res.status(200).json({ status: 'ok' });
        return;
      }
      const eventMatch = /^\/v1\/events\/([^/]+)$/.exec(path);
      if (!eventMatch) throw notFound(path);
      if (req.method !== 'GET') throw methodNotAllowed(['GET']);
      requireAdmin(req, deps);
      const stored = await deps.events.get(decodeURIComponent(eventMatch[1] ?? ''));
      if (!stored)
        throw new HttpError(404, 'not_found', 'No status is recorded for this event yet.');
      res.status(200).json(presentEvent(stored.record));
    } catch (error) {
      if (error instanceof HttpError) {
        sendHttpError(res, error);
        return;
      }
      log.error({ err: error }, 'api request failed');
      internalError(res);
    }
  };
}

function requireAdmin(req: Request, deps: ApiDeps): void {
  const token = bearerToken(req);
  if (!deps.adminToken || !token || !constantTimeEqual(token, deps.adminToken)) {
    throw new HttpError(
      401,
      'unauthenticated',
      'Send the admin token as Authorization: Bearer <token>.',
      {
        headers: { 'WWW-Authenticate': 'Bearer' },
      },
    );
  }
}

/** Compares digests, so neither the length nor the content of the token leaks through timing. */
export function constantTimeEqual(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function iso(date: Date | null): string | null {
  return date?.toISOString() ?? null;
}

export function presentEvent(record: EventRecord): Record<string, unknown> {
  return {
    eventId: record.eventId,
    status: record.status,
    eventType: record.eventType,
    source: record.source,
    producer: record.producer,
    attempts: record.attempts,
    receivedAt: iso(record.receivedAt),
    occurredAt: iso(record.occurredAt),
    processedAt: iso(record.processedAt),
    failedAt: iso(record.failedAt),
    deadLetteredAt: iso(record.deadLetteredAt),
    lastError: record.lastError ? { ...record.lastError, at: iso(record.lastError.at) } : null,
    processingLatencyMs:
      record.processedAt && record.receivedAt
        ? record.processedAt.getTime() - record.receivedAt.getTime()
        : null,
  };
}
