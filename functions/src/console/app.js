// Tributary console: plain DOM, no framework. Every data call sends the admin token,
// which the operator pastes once and this tab keeps in sessionStorage.
'use strict';

const tokenKey = 'tributary.adminToken';
// Routes other capabilities may provide; a 404 means "not configured".
const sourcePaths = ['/v1/sources'];
const webhookPaths = ['/v1/webhook-endpoints'];
const statuses = ['PROCESSED', 'FAILED', 'DEAD_LETTER', 'QUEUED'];

const $ = (id) => document.getElementById(id);
let nextCursor = null;

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: {
      authorization: `Bearer ${sessionStorage.getItem(tokenKey) ?? ''}`,
      ...(options.body ? { 'content-type': 'application/json' } : {}),
    },
  });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    throw new ApiError(response.status, body?.error?.message ?? `HTTP ${response.status}`);
  }
  return body;
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'class') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : shownAsText(child));
  }
  return node;
}

// A value a spreadsheet would run as a formula (OWASP "CSV injection") is shown with a
// leading ', so that copying it into a sheet keeps it text. The API keeps it as sent.
function shownAsText(value) {
  const text = String(value);
  return typeof value === 'string' && /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

const badge = (status) => el('span', { class: `badge ${status}`, 'data-status': status }, status);
const when = (iso) => (iso ? new Date(iso).toLocaleString() : '—');
const number = (n) => (typeof n === 'number' ? n.toLocaleString() : '—');

function setStatus(text) {
  $('status-line').textContent = text;
}

function showSignIn(message) {
  $('app').hidden = true;
  $('refresh').hidden = true;
  $('sign-out').hidden = true;
  $('sign-in').hidden = false;
  $('sign-in-error').hidden = !message;
  $('sign-in-error').textContent = message ?? '';
}

async function start() {
  if (!sessionStorage.getItem(tokenKey)) return showSignIn();
  try {
    await Promise.all([loadOverview(), loadFailed(true)]);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      sessionStorage.removeItem(tokenKey);
      return showSignIn('That token was not accepted.');
    }
    setStatus(`Could not load: ${error.message}`);
  }
  $('sign-in').hidden = true;
  $('app').hidden = false;
  $('refresh').hidden = false;
  $('sign-out').hidden = false;
  setStatus(`Updated ${new Date().toLocaleTimeString()}`);
  void loadOptional('sources', sourcePaths);
  void loadOptional('webhooks', webhookPaths);
}

async function loadOverview() {
  const summary = await api('/v1/admin/metrics/summary?hours=24');
  $('counts').replaceChildren(
    ...statuses.map((status) =>
      el(
        'div',
        { class: 'count', 'data-count': status },
        el('div', { class: 'n' }, number(summary.byStatus[status])),
        el('div', { class: 'label' }, badge(status)),
      ),
    ),
  );
  drawThroughput(summary.throughput.hours);
  const latency = summary.latency;
  const ms = (v) => (v === null ? '—' : `${number(v)} ms`);
  $('latency').replaceChildren(
    el('dt', {}, 'p50'),
    el('dd', {}, ms(latency.p50Ms)),
    el('dt', {}, 'p90'),
    el('dd', {}, ms(latency.p90Ms)),
    el('dt', {}, 'p99'),
    el('dd', {}, ms(latency.p99Ms)),
    el('dt', {}, 'sample'),
    el('dd', {}, `${number(latency.sampleSize)} events`),
  );
  $('backlog').textContent =
    summary.backlog.messages === null
      ? `Not available: ${summary.backlog.reason ?? 'unknown'}`
      : `${number(summary.backlog.messages)} messages waiting on ${summary.backlog.subscription}`;
  const types = summary.byType.types;
  $('by-type').replaceChildren(
    el('tr', {}, el('th', {}, 'Event type'), el('th', {}, 'Events')),
    ...types.map((t) =>
      el('tr', {}, el('td', {}, t.eventType), el('td', { class: 'num' }, number(t.count))),
    ),
    ...(types.length === 0 ? [el('tr', {}, el('td', { class: 'muted' }, 'No events yet.'))] : []),
  );
}

function drawThroughput(hours) {
  const svg = $('throughput');
  const ns = 'http://www.w3.org/2000/svg';
  const width = 600;
  const height = 140;
  const max = Math.max(1, ...hours.map((h) => h.processed));
  const slot = width / Math.max(1, hours.length);
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.replaceChildren();
  hours.forEach((h, i) => {
    const barHeight = Math.round((h.processed / max) * (height - 24));
    const rect = document.createElementNS(ns, 'rect');
    rect.setAttribute('x', String(i * slot + 1));
    rect.setAttribute('y', String(height - 14 - barHeight));
    rect.setAttribute('width', String(Math.max(1, slot - 2)));
    rect.setAttribute('height', String(barHeight));
    const title = document.createElementNS(ns, 'title');
    title.textContent = `${h.hour.slice(11, 16)} UTC: ${h.processed}`;
    rect.append(title);
    svg.append(rect);
    if (i % 4 === 0 || i === hours.length - 1) {
      const label = document.createElementNS(ns, 'text');
      label.setAttribute('x', String(i * slot));
      label.setAttribute('y', String(height - 2));
      label.textContent = h.hour.slice(11, 13) + 'h';
      svg.append(label);
    }
  });
  $('throughput-range').textContent = `(last ${hours.length} hours, max ${number(max)})`;
}

async function loadFailed(reset) {
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

async function loadOptional(target, paths) {
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

document.addEventListener('DOMContentLoaded', () => {
  $('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem(tokenKey, $('token').value.trim());
    $('token').value = '';
    void start();
  });
  $('sign-out').addEventListener('click', () => {
    sessionStorage.removeItem(tokenKey);
    showSignIn();
  });
  $('refresh').addEventListener('click', () => void start());
  $('filters').addEventListener('submit', (event) => {
    event.preventDefault();
    void loadFailed(true).catch((error) => setStatus(error.message));
  });
  $('failed-more').addEventListener(
    'click',
    () => void loadFailed(false).catch((error) => setStatus(error.message)),
  );
  $('detail-close').addEventListener('click', () => ($('detail').hidden = true));
  void start();
});
