// Charts through uPlot (served beside the console; it defines the global uPlot). Every
// chart has a table of the same values beside it: the chart is for the eye, the table
// is what screen readers, copying and the tests read.

const palette = [
  '#2456d6',
  '#1f8a4c',
  '#c0392b',
  '#b26b00',
  '#6d4cc2',
  '#0e7c86',
  '#8a5a44',
  '#6b7280',
];
const charts = new WeakMap();

/** UTC midnight of a YYYY-MM-DD day, in seconds (uPlot's time unit). */
export const daySeconds = (day) => Date.parse(`${day}T00:00:00Z`) / 1000;

/**
 * Draws (or redraws) a time chart in `container`: `x` in seconds, each series
 * `{ label, values, bars? }`; `step` is the width of one x slot in seconds.
 */
export function timeChart(container, { x, series, step, label }) {
  charts.get(container)?.destroy();
  charts.delete(container);
  container.replaceChildren();
  if (series.length === 0 || x.length === 0) return undefined;
  container.setAttribute('role', 'img');
  container.setAttribute('aria-label', label);
  const width = Math.max(280, container.clientWidth || 600);
  const height = width < 500 ? 180 : 220;
  const half = step / 2;
  const bars = uPlot.paths.bars({ size: [0.7, 48] });
  const chart = new uPlot(
    {
      width,
      height,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      scales: {
        x: { time: true, range: (_, min, max) => [min - half, max + half] },
        y: { range: (_, min, max) => [0, Math.max(1, max) * 1.1] },
      },
      axes: [{}, { size: 50 }],
      cursor: { y: false },
      legend: { live: true },
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.label,
          stroke: palette[i % palette.length],
          fill: s.bars ? `${palette[i % palette.length]}cc` : undefined,
          width: s.bars ? 0 : 2,
          paths: s.bars ? bars : undefined,
          points: { show: !s.bars && x.length < 40 },
        })),
      ],
    },
    [x, ...series.map((s) => s.values)],
    container,
  );
  charts.set(container, chart);
  watchWidth(container);
  return chart;
}

const observed = new WeakSet();
function watchWidth(container) {
  if (observed.has(container) || typeof ResizeObserver !== 'function') return;
  observed.add(container);
  new ResizeObserver(() => {
    const current = charts.get(container);
    const width = Math.max(280, container.clientWidth);
    if (current && Math.abs(current.width - width) > 4) {
      current.setSize({ width, height: width < 500 ? 180 : 220 });
    }
  }).observe(container);
}
