// Failed events on the overview: the filtered list, and replay followed until the event
// settles. An event's whole record is its own view (#/events/<id>).
import {
  $,
  api,
  badge,
  el,
  errorText,
  setStatus,
  shortId,
  when,
  problemText,
  replayEvent,
} from './dom.js';
import { href } from './router.js';

let nextCursor = null;

export function wireFailed(afterReplay) {
  $('filters').addEventListener('submit', (event) => {
    event.preventDefault();
    void loadFailed(true).catch((error) => setStatus(errorText(error)));
  });
  $('failed-more').addEventListener(
    'click',
    () => void loadFailed(false).catch((error) => setStatus(errorText(error))),
  );
  onSettled = afterReplay;
}

/** Called once a replayed event settles (the overview's counts are read again). */
let onSettled = () => undefined;

export async function loadFailed(reset, isCurrent = () => true) {
  const params = new URLSearchParams({ limit: '25' });
  const status = $('filter-status').value;
  const type = $('filter-type').value.trim();
  if (status) params.set('status', status);
  if (type) params.set('type', type);
  if (!reset && nextCursor) params.set('cursor', nextCursor);
  const page = await api(`/v1/admin/events/failed?${params}`);
  if (!isCurrent()) return;
  const body = $('failed').tBodies[0];
  if (reset) body.replaceChildren();
  for (const item of page.items) body.append(failedRow(item));
  nextCursor = page.nextCursor;
  $('failed-more').hidden = !nextCursor;
  $('failed-empty').hidden = body.rows.length > 0;
}

function failedRow(item) {
  const replayable = ['FAILED', 'DEAD_LETTER', 'QUARANTINED'].includes(item.status);
  const row = el(
    'tr',
    { 'data-event-id': item.eventId },
    el(
      'td',
      {},
      el('a', { href: href('events', item.eventId), title: item.eventId }, shortId(item.eventId)),
    ),
    el('td', {}, item.eventType ?? '—'),
    el('td', { class: 'status' }, badge(item.status)),
    el('td', { class: 'num attempts' }, item.attempts),
    el('td', { class: 'num replays' }, item.replays),
    el('td', {}, when(item.failedAt)),
    el(
      'td',
      { class: 'error-text', title: item.lastError?.message ?? '' },
      problemText(item.lastError) ?? '—',
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
              'aria-label': `Replay event ${item.eventId}`,
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
    await replayEvent(eventId);
    row.querySelector('.status').replaceChildren(badge('QUEUED'));
    button.textContent = 'Queued';
    await followStatus(eventId, row);
  } catch (error) {
    button.disabled = false;
    button.textContent = 'Replay';
    setStatus(`Replay failed: ${errorText(error)}`);
  }
}

/** Polls the event after a replay until it settles, then updates its row. */
async function followStatus(eventId, row) {
  for (let i = 0; i < 60 && row.isConnected; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const event = await api(`/v1/events/${encodeURIComponent(eventId)}`);
    row.querySelector('.status').replaceChildren(badge(event.status));
    row.querySelector('.attempts').textContent = String(event.attempts);
    row.querySelector('.replays').textContent = String(event.replays);
    if (['PROCESSED', 'DEAD_LETTER', 'QUARANTINED'].includes(event.status)) {
      row.querySelector('button.replay')?.remove();
      onSettled();
      return;
    }
  }
}
