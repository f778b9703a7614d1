// API keys: create a server key or a browser key (allowed origins), see the key once with
// the snippet to use it, revoke. One API call to render: the list.
import {
  $,
  actionButton,
  api,
  badge,
  el,
  errorText,
  say,
  sayNext,
  send,
  shownOnce,
  table,
  when,
} from './dom.js';
import { go } from './router.js';

export function setup() {
  $('key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void create(event.target);
  });
}

export async function render(_route, isCurrent) {
  const { items } = await api('/v1/admin/api-keys');
  if (!isCurrent()) return;
  $('keys-list').replaceChildren(
    items.length === 0
      ? el('p', { class: 'muted' }, 'No key yet.')
      : table(
          ['Name', 'Key id', 'Starts with', 'Kind', 'Site', 'Per second', 'Created', 'State', ''],
          items.map((k) =>
            Object.assign(
              [
                k.name,
                k.keyId,
                el('code', {}, `${k.prefix}…`),
                k.browser ? `browser: ${(k.allowedOrigins ?? []).join(', ')}` : 'server',
                k.siteId,
                k.rateLimitPerSecond,
                when(k.createdAt),
                k.revoked
                  ? el('span', {}, badge('revoked'), ` ${when(k.revokedAt)}`)
                  : badge('active'),
                k.revoked
                  ? ''
                  : actionButton(
                      'Revoke',
                      async () => {
                        if (
                          !confirm(
                            `Revoke the key ${k.name} (${k.keyId})? Producers using it are refused within a minute.`,
                          )
                        )
                          return;
                        await send(
                          'POST',
                          `/v1/admin/api-keys/${encodeURIComponent(k.keyId)}/revoke`,
                        );
                        sayNext('keys-message', `Key ${k.name} revoked.`);
                        go('keys');
                      },
                      { class: 'danger', 'aria-label': `Revoke ${k.name}` },
                    ),
              ],
              { attributes: { 'data-key-id': k.keyId } },
            ),
          ),
          { id: 'keys-table' },
        ),
  );
}

async function create(form) {
  const v = (name) => String(form.elements[name].value).trim();
  const origins = v('allowedOrigins')
    .split(/[\s,]+/)
    .filter(Boolean);
  const body = {
    name: v('name'),
    ...(v('siteId') ? { siteId: v('siteId') } : {}),
    ...(v('rateLimitPerSecond') ? { rateLimitPerSecond: Number(v('rateLimitPerSecond')) } : {}),
    // Only a browser key names origins; a server key's request has no such field.
    ...(origins.length > 0 ? { allowedOrigins: origins } : {}),
  };
  try {
    const created = await send('POST', '/v1/admin/api-keys', body);
    form.reset();
    const { browser } = created;
    shownOnce('key-created', `Key of ${created.name}`, created.key, [
      el('h4', {}, browser ? 'Paste into your pages' : 'Send an event with it'),
      el('pre', { class: 'snippet' }, snippet(created, browser)),
    ]);
    say('keys-message', `Key ${created.name} created.`);
    await render(null, () => true);
  } catch (error) {
    say('keys-message', `Not created: ${errorText(error)}`, 'error');
  }
}

/** What to paste: the tracker tag for a browser key, a request for a server key. */
export function snippet(created, browser) {
  const ingest = created.ingestUrl ?? 'INGEST_URL';
  if (browser)
    return `<script defer src="${ingest}/tracker.js" data-key="${created.key}"></script>`;
  return [
    `curl -X POST "${ingest}/v1/events" \\`,
    `  -H "Authorization: Bearer ${created.key}" -H "Content-Type: application/json" \\`,
    `  -d '{"eventType":"page.viewed","payload":{"title":"Home"}${created.siteId ? `,"siteId":${JSON.stringify(created.siteId)}` : ''},"path":"/"}'`,
  ].join('\n');
}
