/**
 * A stand-in for Google's token endpoint and Reports API on 127.0.0.1 that grants every
 * token and has no activity: a demo stack's Workspace sources poll it, and their cursors
 * advance as they would against a quiet tenant.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type QuietWorkspace = { rootUrl: string; tokenUrl: string; close: () => Promise<void> };

export async function startQuietWorkspace(): Promise<QuietWorkspace> {
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.method === 'POST' && req.url?.startsWith('/token')) {
        res.end(JSON.stringify({ access_token: 'quiet', token_type: 'Bearer', expires_in: 3600 }));
      } else if (req.url?.includes('/activity/users/all/applications/')) {
        res.end(JSON.stringify({ kind: 'admin#reports#activities', items: [] }));
      } else {
        res.statusCode = 404;
        res.end(JSON.stringify({ error: { code: 404, message: 'not here' } }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    rootUrl: `http://127.0.0.1:${port}/`,
    tokenUrl: `http://127.0.0.1:${port}/token`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
