// Daily metrics: event counts per UTC day and type over a range, as a chart and a table,
// narrowed to one type by the filter. One API call: GET /v1/metrics.
import { daySeconds, timeChart } from './chart.js';
import { $, api, el, table } from './dom.js';
import { go } from './router.js';
import { rangeOf, readRange, showRange, wireRange } from './ranges.js';

const count = (day, type) => day.metrics.find((m) => m.eventType === type)?.count ?? 0;

/** Types drawn as their own line; the others are summed as "other types". */
const drawnTypes = 6;
let currentType = '';

export function setup() {
  const form = $('metrics-range');
  wireRange(form, (range) => go('metrics', null, { ...range, type: currentType }));
  $('metrics-type').addEventListener('change', (event) =>
    go('metrics', null, { ...readRange(form), type: event.target.value }),
  );
}

export async function render(route, isCurrent) {
  const range = rangeOf(route.params);
  showRange($('metrics-range'), range);
  const answer = await api(`/v1/metrics?from=${range.from}&to=${range.to}`);
  if (!isCurrent()) return;
  const type = route.params.get('type') ?? '';
  currentType = type;

  // Types of the range, most events first: the filter's choices.
  const totals = new Map();
  for (const day of answer.data) {
    for (const m of day.metrics) totals.set(m.eventType, (totals.get(m.eventType) ?? 0) + m.count);
  }
  const types = [...totals].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([t]) => t);
  if (type && !types.includes(type)) types.push(type);
  $('metrics-type').replaceChildren(
    el('option', { value: '' }, 'every type'),
    ...types.map((t) => el('option', { value: t, selected: t === type }, t)),
  );

  const shown = type ? [type] : types;
  $('metrics-totals').replaceChildren(
    shown.length === 0
      ? el('p', { class: 'muted' }, 'No events in this range.')
      : table(
          ['Event type', `Events, ${range.from} to ${range.to}`],
          shown.map((t) =>
            Object.assign([t, totals.get(t) ?? 0], { attributes: { 'data-type': t } }),
          ),
          { id: 'metrics-totals-table' },
        ),
  );
  const drawn = shown.slice(0, drawnTypes);
  const rest = shown.slice(drawnTypes);
  timeChart($('metrics-chart'), {
    x: answer.data.map((d) => daySeconds(d.date)),
    series: [
      ...drawn.map((t) => ({ label: t, values: answer.data.map((d) => count(d, t)) })),
      ...(rest.length > 0
        ? [
            {
              label: `${rest.length} other types`,
              values: answer.data.map((d) => rest.reduce((sum, t) => sum + count(d, t), 0)),
            },
          ]
        : []),
    ],
    step: 86_400,
    label: `Events per day${type ? ` of type ${type}` : ' by type'}, ${range.from} to ${range.to}`,
  });
  $('metrics-days').replaceChildren(
    table(
      ['Day', ...shown],
      answer.data.map((d) =>
        Object.assign([d.date, ...shown.map((t) => count(d, t))], {
          attributes: { 'data-date': d.date },
        }),
      ),
      { id: 'metrics-days-table' },
    ),
  );
}
