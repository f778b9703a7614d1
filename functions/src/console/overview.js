// The overview: counts by status and type, throughput, latency and backlog, and the
// failed events. Two API calls: the metrics summary and the first page of failures.
import { timeChart } from './chart.js';
import { $, api, badge, el, number, table } from './dom.js';
import { loadFailed, wireFailed } from './events.js';

const statuses = ['PROCESSED', 'FAILED', 'DEAD_LETTER', 'QUEUED', 'QUARANTINED'];
const ms = (v) => (v === null ? '—' : `${number(v)} ms`);

export function setup() {
  wireFailed(() => void loadSummary(() => true).catch(() => undefined));
}

export async function render(_route, isCurrent) {
  await Promise.all([loadSummary(isCurrent), loadFailed(true, isCurrent)]);
}

async function loadSummary(isCurrent) {
  const summary = await api('/v1/admin/metrics/summary?hours=24');
  if (!isCurrent()) return;
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
    types.length === 0
      ? el('p', { class: 'muted' }, 'No events yet.')
      : table(
          ['Event type', 'Events'],
          types.map((t) => [t.eventType, t.count]),
        ),
  );
}

function drawThroughput(hours) {
  const max = Math.max(0, ...hours.map((h) => h.processed));
  timeChart($('throughput'), {
    x: hours.map((h) => Date.parse(h.hour) / 1000),
    series: [{ label: 'Processed', values: hours.map((h) => h.processed), bars: true }],
    step: 3600,
    label: `Events processed per hour over the last ${hours.length} hours, at most ${max}`,
  });
  $('throughput').dataset.points = String(hours.length);
  $('throughput-range').textContent = `(last ${hours.length} hours UTC, max ${number(max)})`;
}
