import { describe, expect, it } from 'vitest';
import { servicePath, workspaceWebhookApiRoutes } from './workspaceWebhook.ts';

describe('the Workspace service paths', () => {
  it.each([
    ['/v1/sources', '/api/sources'],
    ['/v1/sources/:sourceId', '/api/sources/:sourceId'],
    ['/v1/sources/:sourceId/poll', undefined],
  ])('%s → %s', (ours, theirs) => {
    expect(servicePath(ours)).toBe(theirs);
  });

  it('serves create, list, get, update and delete, with the admin token', () => {
    expect(workspaceWebhookApiRoutes.map((r) => `${r.method} ${r.path} ${r.role}`).sort()).toEqual([
      'DELETE /api/sources/:sourceId admin',
      'GET /api/sources admin',
      'GET /api/sources/:sourceId admin',
      'POST /api/sources admin',
      'PUT /api/sources/:sourceId admin',
    ]);
  });
});
