// Webhook endpoints: create (the signing secret shown once), enable and disable, rotate
// the secret, delete, see recent deliveries and failures, replay failures since a time.
// The list is one API call; an endpoint is two (the endpoint and its deliveries).
import {
  $,
  actionButton,
  api,
  badge,
  el,
  errorText,
  facts,
  say,
  shortId,
  sayNext,
  send,
  shownOnce,
  table,
  when,
  problemText,
  replayDelivery,
} from './dom.js';
import { go, href } from './router.js';

const base = '/v1/webhook-endpoints';
const path = (id) => `${base}/${encodeURIComponent(id)}`;
let currentId = null;

export function setup() {
  $('endpoint-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void create(event.target);
  });
  $('endpoint-replay').addEventListener('submit', (event) => {
    event.preventDefault();
    void replaySince(event.target);
  });
}

export async function render(route, isCurrent) {
  const detail = route.id !== null;
  $('webhooks-list-view').hidden = detail;
  $('webhook-detail-view').hidden = !detail;
  if (detail) return renderEndpoint(route.id, isCurrent);
  const { endpoints } = await api(base);
  if (!isCurrent()) return;
  $('endpoints-list').replaceChildren(
    endpoints.length === 0
      ? el('p', { class: 'muted' }, 'No endpoint yet.')
      : table(
          ['URL', 'Event types', 'State', 'Failures in a row', 'Last failure', ''],
          endpoints.map((e) =>
            Object.assign(
              [
                el('a', { href: href('webhooks', e.id) }, e.url),
                e.eventTypes.join(', '),
                state(e),
                e.stats.consecutiveFailures,
                e.stats.lastFailure
                  ? `${when(e.stats.lastFailureAt)} ${e.stats.lastFailure.code}`
                  : null,
                toggle(e, () => go('webhooks')),
              ],
              { attributes: { 'data-endpoint-id': e.id } },
            ),
          ),
          { id: 'endpoints-table' },
        ),
  );
}

const state = (e) =>
  e.enabled ? badge('enabled') : el('span', {}, badge('disabled'), ` ${e.disabledReason ?? ''}`);

function toggle(e, after) {
  return actionButton(
    e.enabled ? 'Disable' : 'Enable',
    async () => {
      await send('PATCH', path(e.id), { enabled: !e.enabled });
      after();
    },
    { class: 'quiet', 'aria-label': `${e.enabled ? 'Disable' : 'Enable'} ${e.url}` },
  );
}

async function create(form) {
  const v = (name) => String(form.elements[name].value).trim();
  const body = {
    url: v('url'),
    eventTypes: v('eventTypes')
      .split(/[\s,]+/)
      .filter(Boolean),
    ...(v('description') ? { description: v('description') } : {}),
  };
  try {
    const created = await send('POST', base, body);
    form.reset();
    shownOnce('endpoint-created', `Signing secret of ${created.url}`, created.secret, [
      el('p', {}, el('a', { href: href('webhooks', created.id) }, 'Open the endpoint')),
    ]);
    say('webhooks-message', `Endpoint ${created.id} created.`);
    await refreshList();
  } catch (error) {
    say('webhooks-message', `Not created: ${errorText(error)}`, 'error');
  }
}

async function refreshList() {
  const once = $('endpoint-created').firstChild;
  await render({ id: null }, () => true);
  // The list was redrawn; the secret box stays until dismissed.
  if (once && !$('endpoint-created').firstChild) $('endpoint-created').append(once);
}

async function renderEndpoint(id, isCurrent) {
  const [endpoint, deliveries] = await Promise.all([
    api(path(id)),
    api(`${path(id)}/deliveries?limit=25`),
  ]);
  if (!isCurrent()) return;
  currentId = endpoint.id;
  $('endpoint-title').textContent = endpoint.url;
  $('endpoint-actions').replaceChildren(
    toggle(endpoint, () => go('webhooks', endpoint.id)),
    actionButton(
      'Rotate secret',
      async () => {
        const rotated = await send('POST', `${path(endpoint.id)}/rotate-secret`, {});
        shownOnce('endpoint-once', 'New signing secret', rotated.secret, [
          el(
            'p',
            { class: 'muted' },
            `The previous secret keeps signing until ${when(rotated.secretRotation?.previousSecretExpiresAt)}.`,
          ),
        ]);
      },
      { class: 'quiet' },
    ),
    actionButton(
      'Delete',
      async () => {
        if (!confirm(`Delete the endpoint ${endpoint.url}?`)) return;
        await api(path(endpoint.id), { method: 'DELETE' });
        sayNext('webhooks-message', `Endpoint ${endpoint.url} deleted.`);
        go('webhooks');
      },
      { class: 'danger' },
    ),
  );
  $('endpoint-facts').replaceChildren(
    facts(
      [
        ['Id', endpoint.id],
        ['URL', endpoint.url],
        ['Event types', endpoint.eventTypes.join(', ')],
        ['Description', endpoint.description],
        ['State', state(endpoint)],
        ['Disabled at', when(endpoint.disabledAt)],
        ['Failures in a row', endpoint.stats.consecutiveFailures],
        ['Failed attempts', endpoint.stats.failedAttempts],
        [
          'Last failure',
          endpoint.stats.lastFailure
            ? `${when(endpoint.stats.lastFailureAt)}: ${endpoint.stats.lastFailure.code}: ${endpoint.stats.lastFailure.message}`
            : null,
        ],
        ['Recovered', when(endpoint.stats.recoveredAt)],
        ['Previous secret until', when(endpoint.secretRotation?.previousSecretExpiresAt)],
        ['Created', when(endpoint.createdAt)],
      ],
      { wide: true },
    ),
  );
  const from = $('endpoint-replay').elements.from;
  if (!from.value) from.value = localInput(new Date(Date.now() - 86_400_000));
  $('endpoint-failures').replaceChildren(
    deliveryTable(deliveries.failures, 'endpoint-failures-table', true),
  );
  $('endpoint-recent').replaceChildren(
    deliveryTable(deliveries.recent, 'endpoint-recent-table', false),
  );
}

function deliveryTable(items, id, replayable) {
  if (items.length === 0) return el('p', { class: 'muted' }, 'None.');
  return table(
    [
      'Event',
      'Type',
      'Status',
      'Attempts',
      'Created',
      replayable ? 'First failed' : 'Delivered',
      'Last error',
      '',
    ],
    items.map((d) =>
      Object.assign(
        [
          el('a', { href: href('events', d.eventId), title: d.eventId }, shortId(d.eventId)),
          d.eventType,
          badge(d.status),
          d.attemptCount,
          when(d.createdAt),
          when(replayable ? d.failedAt : d.deliveredAt),
          problemText(d.lastError),
          d.status === 'delivered'
            ? ''
            : actionButton(
                'Replay',
                async () => {
                  await replayDelivery(d.eventId, d.endpointId);
                  say('webhooks-message', `Delivery of ${d.eventId} queued again.`);
                },
                { class: 'quiet', 'aria-label': `Replay the delivery of ${d.eventId}` },
              ),
        ],
        { attributes: { 'data-event-id': d.eventId } },
      ),
    ),
    { id },
  );
}

async function replaySince(form) {
  const since = new Date(form.elements.from.value);
  if (Number.isNaN(since.getTime())) return say('webhooks-message', 'Choose a time.', 'error');
  try {
    const answer = await send('POST', `${path(currentId)}/replay`, {
      from: since.toISOString(),
      to: new Date().toISOString(),
    });
    say(
      'webhooks-message',
      `${answer.replayed} failed deliveries since ${since.toLocaleString()} queued again${answer.more ? '; more remain, replay again' : ''}.`,
    );
  } catch (error) {
    say('webhooks-message', `Not replayed: ${errorText(error)}`, 'error');
  }
}

/** A time as a datetime-local input holds it (local time, minutes). */
function localInput(date) {
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}
