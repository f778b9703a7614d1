import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import * as functionsFramework from '@google-cloud/functions-framework';
import type { HttpFunction } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';

/** Serves one HTTP handler through the functions framework on 127.0.0.1. */
export async function serveHttp(
  handler: HttpFunction,
): Promise<{ url: string; close: () => Promise<void> }> {
  const name = `http-${randomUUID()}`;
  functionsFramework.http(name, handler);
  const server = getTestServer(name);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
