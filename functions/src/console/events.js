// Failed events: the filtered list, replay, and one event's detail with its history.
import { $, api, badge, el, setStatus, when } from './dom.js';
import { loadOverview } from './overview.js';

let nextCursor = null;

export async function loadFailed(reset) {
  const params = new URLSearchParams({ limit: '25' });
  const status = $('filter-status').value;
  const type = $('filter-type').value.trim();
  if (status) params.set('status', status);
  if (type) params.set('type', type);
  if (!reset && nextCursor) params.set('cursor', nextCursor);
  const page = await api(`/v1/admin/events/failed?${params}`);
  const body = $('failed').tBodies[0];
  if (reset) body.replaceChildren();
  for (const item of page.items) body.append(failedRow(item));
  nextCursor = page.nextCursor;
  $('failed-more').hidden = !nextCursor;
  $('failed-empty').hidden = body.rows.length > 0;
}

function failedRow(item) {
  const replayable = item.status === 'FAILED' || item.status === 'DEAD_LETTER';
  const row = el(
    'tr',
    { 'data-event-id': item.eventId },
    el(
      'td',
      {},
      el(
        'a',
        { href: `#${item.eventId}`, onclick: (e) => openDetail(e, item.eventId) },
        item.eventId.slice(0, 8),
      ),
    ),
    el('td', {}, item.eventType ?? '—'),
    el('td', { class: 'status' }, badge(item.status)),
    el('td', { class: 'num attempts' }, item.attempts),
    el('td', { class: 'num replays' }, item.replays),
    el('td', {}, when(item.failedAt)),
    el(
      'td',
      { class: 'error-text', title: item.lastError?.message ?? '' },
      item.lastError ? `${item.lastError.code}: ${item.lastError.message}` : '—',
    ),
    el(
      'td',
      {},
      replayable
        ? el(
            'button',
            {
              type: 'button',
              class: 'replay',
              onclick: (e) => replay(e.currentTarget, item.eventId, row),
            },
            'Replay',
          )
        : '',
    ),
  );
  return row;
}

async function replay(button, eventId, row) {
  button.disabled = true;
  button.textContent = 'Replaying…';
  try {
    await api(`/v1/admin/events/${encodeURIComponent(eventId)}/replay`, {
      method: 'POST',
      body: '{}',
    });
    row.querySelector('.status').replaceChildren(badge('QUEUED'));
    button.textContent = 'Queued';
    await followStatus(eventId, row);
  } catch (error) {
    button.disabled = false;
    button.textContent = 'Replay';
    setStatus(`Replay failed: ${error.message}`);
  }
}

/** Polls the event after a replay until it settles, then updates its row. */
async function followStatus(eventId, row) {
  for (let i = 0; i < 60; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const event = await api(`/v1/events/${encodeURIComponent(eventId)}`);
    row.querySelector('.status').replaceChildren(badge(event.status));
    row.querySelector('.attempts').textContent = String(event.attempts);
    row.querySelector('.replays').textContent = String(event.replays);
    if (event.status === 'PROCESSED' || event.status === 'DEAD_LETTER') {
      row.querySelector('button.replay')?.remove();
      void loadOverview();
      return;
    }
  }
}

async function openDetail(event, eventId) {
  event.preventDefault();
  const detail = await api(`/v1/events/${encodeURIComponent(eventId)}`);
  $('detail-id').textContent = eventId;
  // The facts are the answer's plain values, in the order the API gives them.
  const shown = Object.keys(detail).filter(
    (key) => key !== 'lastError' && (detail[key] === null || typeof detail[key] !== 'object'),
  );
  $('detail-facts').replaceChildren(
    ...shown.flatMap((key) => [
      el('dt', {}, key),
      el(
        'dd',
        {},
        key === 'status'
          ? badge(detail.status)
          : key.endsWith('At')
            ? when(detail[key])
            : (detail[key] ?? '—'),
      ),
    ]),
    el('dt', {}, 'lastError'),
    el('dd', {}, detail.lastError ? `${detail.lastError.code}: ${detail.lastError.message}` : '—'),
  );
  const history = detail.history ?? [];
  $('detail-history').replaceChildren(
    el(
      'tr',
      {},
      el('th', {}, 'At'),
      el('th', {}, 'Status'),
      el('th', {}, 'Replay'),
      el('th', {}, 'Attempts'),
      el('th', {}, 'Error'),
    ),
    ...history.map((h) =>
      el(
        'tr',
        {},
        el('td', {}, when(h.at)),
        el('td', {}, badge(h.status)),
        el('td', { class: 'num' }, h.replay),
        el('td', { class: 'num' }, h.attempts),
        el('td', {}, h.error ? `${h.error.code}: ${h.error.message}` : ''),
      ),
    ),
    ...(history.length === 0
      ? [el('tr', {}, el('td', { class: 'muted' }, 'Processed at the first attempt.'))]
      : []),
  );
  // Whatever else the API returns (a delivery log, say) is shown as it comes.
  const known = new Set([...shown, 'lastError', 'history']);
  const extra = Object.entries(detail).filter(([key]) => !known.has(key));
  $('detail-extra').replaceChildren(
    ...extra.flatMap(([key, value]) => [
      el('h3', {}, key),
      el('pre', {}, JSON.stringify(value, null, 2)),
    ]),
  );
  $('detail').hidden = false;
  $('detail').scrollIntoView({ behavior: 'smooth' });
}
