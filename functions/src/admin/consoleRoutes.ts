import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Response } from '@google-cloud/functions-framework';
import { assetPath } from '../lib/assets.ts';
import type { Route } from '../lib/router.ts';

/** The console's files: hand-written HTML, CSS and JavaScript beside the code, no build step. */
const assetDir = assetPath('console');

const script = 'text/javascript; charset=utf-8';
const style = 'text/css; charset=utf-8';
const assets = {
  'index.html': 'text/html; charset=utf-8',
  'app.css': style,
  // The script's modules, one concern each: app.js imports the others, each panel's
  // module the first time the panel is shown.
  'app.js': script,
  'dom.js': script,
  'router.js': script,
  'chart.js': script,
  'ranges.js': script,
  'overview.js': script,
  'events.js': script,
  'sites.js': script,
  'metrics.js': script,
  'uploads.js': script,
  'event.js': script,
  'webhooks.js': script,
  'sources.js': script,
  'plan.js': script,
  'privacy.js': script,
  'keys.js': script,
  // The charting library, served from its npm package (no CDN: the policy allows 'self' only).
  'uplot.min.js': script,
  'uplot.min.css': style,
} as const;

type AssetName = keyof typeof assets;

const fromPackage: Partial<Record<AssetName, string>> = {
  'uplot.min.js': 'uplot/dist/uPlot.iife.min.js',
  'uplot.min.css': 'uplot/dist/uPlot.min.css',
};

const cache = new Map<AssetName, Buffer>();
const require = createRequire(import.meta.url);

function asset(name: AssetName): Buffer {
  let body = cache.get(name);
  if (!body) {
    const packaged = fromPackage[name];
    body = readFileSync(packaged ? require.resolve(packaged) : join(assetDir, name));
    cache.set(name, body);
  }
  return body;
}

/**
 * Only our own script and stylesheet run, data goes only to this origin, and nothing
 * may frame the page. The page holds no secret: every data call carries the admin token.
 */
export const consoleContentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

function serve(res: Response, name: AssetName): void {
  res.setHeader('Content-Type', assets[name]);
  res.setHeader('Content-Security-Policy', consoleContentSecurityPolicy);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cache-Control', name === 'index.html' ? 'no-cache' : 'public, max-age=300');
  res.status(200).send(asset(name));
}

export const consoleRoutes: Route<unknown>[] = [
  {
    method: 'GET',
    path: '/',
    role: 'public',
    tag: 'Console',
    summary: 'The web console, at the root too (where the Event Metrics service had its UI)',
    responses: { 200: { description: 'HTML page.' } },
    handle: ({ res }) => serve(res, 'index.html'),
  },
  {
    method: 'GET',
    path: '/console',
    role: 'public',
    tag: 'Console',
    summary: 'The web console (its data calls use the admin token)',
    responses: { 200: { description: 'HTML page.' } },
    handle: ({ res }) => serve(res, 'index.html'),
  },
  ...(Object.keys(assets) as AssetName[])
    .filter((name) => name !== 'index.html')
    .map((name): Route<unknown> => ({
      method: 'GET',
      path: `/console/${name}`,
      role: 'public',
      tag: 'Console',
      summary: fromPackage[name]
        ? `uPlot, the console's charting library (${fromPackage[name]})`
        : name.endsWith('.css')
          ? "The console's stylesheet"
          : `The console's script module ${name}`,
      handle: ({ res }) => serve(res, name),
    })),
];
