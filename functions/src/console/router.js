// Each panel has a URL of its own in the fragment (#/sites?site=shop&range=7d), so a view
// can be bookmarked and reloaded; the page itself is one document.

export const panels = [
  'overview',
  'sites',
  'metrics',
  'uploads',
  'events',
  'webhooks',
  'sources',
  'plan',
  'privacy',
  'keys',
];

/** `#/webhooks/ep_…?x=1` → { panel: 'webhooks', id: 'ep_…', params: URLSearchParams }. */
export function currentRoute(hash = location.hash) {
  const [path, query = ''] = hash.replace(/^#\/?/, '').split('?');
  const [panel, ...rest] = path.split('/');
  const id = rest.length > 0 ? decodeURIComponent(rest.join('/')) : null;
  return {
    panel: panels.includes(panel) ? panel : 'overview',
    id: id || null,
    params: new URLSearchParams(query),
  };
}

export function href(panel, id = null, params = {}) {
  const query = new URLSearchParams(
    Object.entries(params).filter(
      ([, value]) => value !== undefined && value !== null && value !== '',
    ),
  ).toString();
  return `#/${panel}${id ? `/${encodeURIComponent(id)}` : ''}${query ? `?${query}` : ''}`;
}

/** Goes to a view; the hashchange renders it (the same hash renders again). */
export function go(panel, id = null, params = {}) {
  const target = href(panel, id, params);
  if (location.hash === target) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = target;
}
