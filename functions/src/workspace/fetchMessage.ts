import { z } from 'zod';
import type { OutgoingMessage } from '../lib/publisher.ts';

/** What `pollWorkspace` (or an operator's poll, or a fetch that ran out of time) asks for. */
export type FetchRequest = {
  sourceId: string;
  application: string;
  reason: 'schedule' | 'manual' | 'continuation';
};

const fetchRequestSchema = z.object({
  sourceId: z.string().min(1).max(100),
  application: z.string().min(1).max(100),
  reason: z.enum(['schedule', 'manual', 'continuation']),
});

export function encodeFetchRequest(request: FetchRequest): OutgoingMessage {
  return {
    data: Buffer.from(JSON.stringify(request)),
    attributes: { sourceId: request.sourceId, application: request.application },
  };
}

export function decodeFetchRequest(
  data: Buffer,
): { ok: true; request: FetchRequest } | { ok: false; reason: string } {
  try {
    const parsed = fetchRequestSchema.safeParse(JSON.parse(data.toString('utf8')));
    if (parsed.success) return { ok: true, request: parsed.data };
    return { ok: false, reason: `invalid fetch request: ${parsed.error.issues[0]?.message}` };
  } catch {
    return { ok: false, reason: 'fetch request is not JSON' };
  }
}
