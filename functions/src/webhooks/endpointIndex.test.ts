import { describe, expect, it } from 'vitest';
import type { EndpointRoute } from './endpoint.ts';
import { CachedWebhookRouter } from './endpointIndex.ts';

function fixture(routes: EndpointRoute[]) {
  let now = 0;
  let loads = 0;
  let fail = false;
  const router = new CachedWebhookRouter(
    () => {
      loads += 1;
      return fail ? Promise.reject(new Error('down')) : Promise.resolve(routes);
    },
    { ttlMs: 10_000, clock: () => now },
  );
  return {
    router,
    loads: () => loads,
    advance: (ms: number) => (now += ms),
    failNext: (value: boolean) => (fail = value),
  };
}

describe('CachedWebhookRouter', () => {
  const routes = [
    { id: 'ep_a', eventTypes: ['page.viewed'] },
    { id: 'ep_b', eventTypes: ['workspace.*', 'page.*'] },
  ];

  it('matches exact types and prefixes', async () => {
    const { router } = fixture(routes);
    expect(await router.matching('page.viewed')).toEqual(['ep_a', 'ep_b']);
    expect(await router.matching('workspace.login.login_success')).toEqual(['ep_b']);
    expect(await router.matching('checkout.completed')).toEqual([]);
  });

  it('gives an endpoint limited to producers only their events', async () => {
    const { router } = fixture([
      ...routes,
      { id: 'ep_src', eventTypes: ['workspace.*'], producers: ['src_1'] },
    ]);
    expect(await router.matching('workspace.login.login_success', 'src_1')).toEqual([
      'ep_b',
      'ep_src',
    ]);
    expect(await router.matching('workspace.login.login_success', 'src_2')).toEqual(['ep_b']);
    expect(await router.matching('workspace.login.login_success')).toEqual(['ep_b']);
  });

  it('reads once per time-to-live, however many events and however concurrent', async () => {
    const { router, loads, advance } = fixture(routes);
    await Promise.all(Array.from({ length: 50 }, () => router.matching('page.viewed')));
    await router.matching('page.viewed');
    expect(loads()).toBe(1);
    advance(9_999);
    await router.matching('page.viewed');
    expect(loads()).toBe(1);
    advance(1);
    await router.matching('page.viewed');
    expect(loads()).toBe(2);
  });

  it('does not cache a failed read', async () => {
    const { router, loads, failNext } = fixture(routes);
    failNext(true);
    await expect(router.matching('page.viewed')).rejects.toThrow('down');
    failNext(false);
    expect(await router.matching('page.viewed')).toEqual(['ep_a', 'ep_b']);
    expect(loads()).toBe(2);
  });
});
