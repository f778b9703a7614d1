import { hash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { Request, Response } from '@google-cloud/functions-framework';
import { assetPath } from '../../lib/assets.ts';
import type { Route } from '../../lib/router.ts';

/** Our page tracker: a hand-written file beside this one, no dependency, no build step. */
const trackerFile = assetPath('ingest', 'browser', 'tracker.js');

/** How long browsers and caches keep it before asking again (with its ETag). */
const maxAgeSeconds = 3600;

type Representation = { body: Buffer; etag: string };
type TrackerScript = { plain: Representation; gzip: Representation };

let script: TrackerScript | undefined;

/** The script, and its gzip compression made once, each with its own ETag. */
export function trackerScript(): TrackerScript {
  if (!script) {
    const plain = readFileSync(trackerFile);
    const gzip = gzipSync(plain, { level: 9 });
    const tag = hash('sha256', plain, 'base64url').slice(0, 22);
    script = {
      plain: { body: plain, etag: `"${tag}"` },
      gzip: { body: gzip, etag: `"${tag}-gzip"` },
    };
  }
  return script;
}

function acceptsGzip(req: Request): boolean {
  return /\bgzip\b/i.test(req.headers['accept-encoding'] ?? '');
}

function serveTracker(req: Request, res: Response): void {
  const { plain, gzip } = trackerScript();
  const chosen = acceptsGzip(req) ? gzip : plain;
  res.setHeader('Content-Type', 'text/javascript; charset=utf-8');
  res.setHeader('Cache-Control', `public, max-age=${maxAgeSeconds}`);
  res.setHeader('ETag', chosen.etag);
  res.setHeader('Vary', 'Origin, Accept-Encoding');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  // Pages that isolate themselves (COEP) may still load it.
  res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
  const match = req.headers['if-none-match'];
  if (match?.split(',').some((tag) => tag.trim().replace(/^W\//, '') === chosen.etag)) {
    res.status(304).end();
    return;
  }
  if (chosen === gzip) res.setHeader('Content-Encoding', 'gzip');
  res.status(200).send(chosen.body);
}

export const trackerRoute: Route<unknown> = {
  method: 'GET',
  path: '/tracker.js',
  role: 'public',
  browser: true,
  tag: 'Browser',
  summary: 'The page tracker script',
  description:
    'Loaded by a `script` element with `defer`, `src` set to this URL and `data-key` to a browser key, it sends a page view on load and on each client-side navigation; `tributary.track(name, properties)` and `tributary.identify(userId)`. With `data-visitors="cookieless"` (for a cookieless key) it keeps nothing in the browser and sends no anonymousId. Cacheable: ETag and Cache-Control; gzip when accepted.',
  responses: {
    200: { description: 'The script.', mediaType: 'text/javascript' },
    304: { description: 'Not modified since the ETag sent in If-None-Match.' },
  },
  handle: ({ req, res }) => serveTracker(req, res),
};
