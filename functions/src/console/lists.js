// Lists other capabilities provide (Workspace sources, webhook endpoints); a 404 means
// "not configured".
import { $, api, ApiError, el, when } from './dom.js';

export async function loadOptional(target, paths) {
  const box = $(target);
  for (const path of paths) {
    try {
      const body = await api(path);
      const items = Array.isArray(body)
        ? body
        : (body.items ?? body.endpoints ?? body.sources ?? []);
      box.replaceChildren(renderItems(items));
      return;
    } catch (error) {
      if (error instanceof ApiError && (error.status === 404 || error.status === 405)) continue;
      box.replaceChildren(el('p', { class: 'error' }, `Could not load: ${error.message}`));
      return;
    }
  }
  box.replaceChildren(
    el('p', { class: 'muted', 'data-not-configured': target }, 'Not configured.'),
  );
}

function renderItems(items) {
  if (items.length === 0) return el('p', { class: 'muted' }, 'None yet.');
  const columns = [
    'name',
    'id',
    'url',
    'kind',
    'status',
    'enabled',
    'lastSuccessAt',
    'lastFailureAt',
  ]
    .filter((key) => items.some((item) => item[key] !== undefined))
    .slice(0, 5);
  return el(
    'table',
    { class: 'compact' },
    el('tr', {}, ...columns.map((c) => el('th', {}, c))),
    ...items.map((item) =>
      el(
        'tr',
        {},
        ...columns.map((c) =>
          el('td', {}, c.endsWith('At') ? when(item[c]) : String(item[c] ?? '—')),
        ),
      ),
    ),
  );
}
