// The overview: counts by status and type, throughput, latency and backlog.
import { $, api, badge, el, number } from './dom.js';

const statuses = ['PROCESSED', 'FAILED', 'DEAD_LETTER', 'QUEUED'];
const ms = (v) => (v === null ? '—' : `${number(v)} ms`);

export async function loadOverview() {
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
