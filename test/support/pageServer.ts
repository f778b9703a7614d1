import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import { projectRoot } from '../../scripts/lib/localStack.ts';

/** Folders of browser SDKs from the registry, served as the pages load them. */
const packages: Record<string, string> = {
  '/analytics-next/': join(projectRoot, 'node_modules/@segment/analytics-next/dist/umd'),
  '/rudderstack/': join(
    projectRoot,
    'node_modules/@rudderstack/analytics-js/dist/npm/modern/bundled/umd',
  ),
};

export type PageServer = {
  /** `http://127.0.0.1:PORT`: an origin of its own, other than ingest's. */
  origin: string;
  /** Serves this HTML at every path under `prefix`. */
  page: (prefix: string, html: string) => void;
  /** Serves this JSON at every path under `prefix`. */
  json: (prefix: string, body: unknown) => void;
  close: () => Promise<void>;
};

/** A web site on 127.0.0.1 for the browser tests: pages, and the SDKs' files. */
export async function startPageServer(): Promise<PageServer> {
  const pages = new Map<string, { type: string; body: string }>();
  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0]!;
      for (const [prefix, dir] of Object.entries(packages)) {
        if (!path.startsWith(prefix)) continue;
        const file = normalize(join(dir, path.slice(prefix.length)));
        if (!file.startsWith(dir)) break;
        try {
          const body = await readFile(file);
          res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
          res.end(body);
        } catch {
          res.writeHead(404).end();
        }
        return;
      }
      const found = [...pages].find(([prefix]) => path.startsWith(prefix));
      if (!found) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, {
        'content-type': found[1].type,
        // The SDKs' config requests carry credentials from the page's scripts.
        'access-control-allow-origin': req.headers.origin ?? '*',
        'access-control-allow-credentials': 'true',
        'access-control-allow-headers': 'authorization, content-type',
      });
      res.end(req.method === 'OPTIONS' ? '' : found[1].body);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    page: (prefix, html) => pages.set(prefix, { type: 'text/html; charset=utf-8', body: html }),
    json: (prefix, body) =>
      pages.set(prefix, { type: 'application/json', body: JSON.stringify(body) }),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
