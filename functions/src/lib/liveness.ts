import { z } from 'zod';
import type { Route } from './router.ts';

const livenessSchema = z.object({
  status: z.literal('ok'),
  timestamp: z.string().describe('The time of the answer (ISO 8601, UTC).'),
});

/** `GET /health`: the function answers. Public, no dependency checked, never cached. */
export function livenessRoute<Deps>(tag: string): Route<Deps> {
  return {
    method: 'GET',
    path: '/health',
    role: 'public',
    tag,
    summary: 'Liveness: the function answers',
    responses: { 200: { description: 'Alive.', schema: livenessSchema } },
    handle: ({ res }) => {
      res.setHeader('Cache-Control', 'no-store');
      res.status(200).json({ status: 'ok', timestamp: new Date().toISOString() });
    },
  };
}
