import type { BenchResult } from './results.ts';

/** Two bar charts side by side: events per second, and p50/p99 latency, per scenario. */
export function renderChart(result: BenchResult): string {
  const scenarios = [
    {
      name: 'floor (req/s)',
      rate: result.floor.requestsPerSecond,
      p50: result.floor.p50Ms,
      p99: result.floor.p99Ms,
    },
    {
      name: 'floor + publish',
      rate: result.publishFloor.requestsPerSecond,
      p50: result.publishFloor.p50Ms,
      p99: result.publishFloor.p99Ms,
    },
    {
      name: 'ingest single',
      rate: result.ingestSingle.eventsPerSecond,
      p50: result.ingestSingle.p50Ms,
      p99: result.ingestSingle.p99Ms,
    },
    {
      name: 'ingest batch',
      rate: result.ingestBatch.eventsPerSecond,
      p50: result.ingestBatch.p50Ms,
      p99: result.ingestBatch.p99Ms,
    },
    {
      name: 'end to end',
      rate: result.endToEnd.eventsPerSecond,
      p50: result.endToEnd.p50Ms,
      p99: result.endToEnd.p99Ms,
    },
    {
      name: `sustained ${result.sustained.targetPerSecond}/s`,
      rate: result.sustained.targetPerSecond,
      p50: result.sustained.p50Ms,
      p99: result.sustained.p99Ms,
    },
    {
      name: `sustained ${result.sustainedWithinCapacity.targetPerSecond}/s`,
      rate: result.sustainedWithinCapacity.targetPerSecond,
      p50: result.sustainedWithinCapacity.p50Ms,
      p99: result.sustainedWithinCapacity.p99Ms,
    },
  ];
  const rowHeight = 34;
  const top = 50;
  const labelWidth = 130;
  const barWidth = 300;
  const height = top + scenarios.length * rowHeight + 20;
  const maxRate = Math.max(...scenarios.map((s) => s.rate), 1);
  const maxLatency = Math.max(...scenarios.map((s) => s.p99), 1);
  const bars = scenarios
    .map((s, i) => {
      const y = top + i * rowHeight;
      const rateWidth = (s.rate / maxRate) * barWidth;
      const p50Width = (s.p50 / maxLatency) * barWidth;
      const p99Width = (s.p99 / maxLatency) * barWidth;
      const right = labelWidth + barWidth + 120;
      return [
        `<text x="${labelWidth - 8}" y="${y + 16}" text-anchor="end">${escapeXml(s.name)}</text>`,
        `<rect x="${labelWidth}" y="${y + 4}" width="${rateWidth.toFixed(1)}" height="16" fill="#2f6fdf"/>`,
        `<text x="${labelWidth + rateWidth + 4}" y="${y + 16}">${Math.round(s.rate)}</text>`,
        `<rect x="${right}" y="${y + 2}" width="${p99Width.toFixed(1)}" height="10" fill="#e8a33d"/>`,
        `<rect x="${right}" y="${y + 13}" width="${p50Width.toFixed(1)}" height="10" fill="#3a9b5c"/>`,
        `<text x="${right + p99Width + 4}" y="${y + 16}">${s.p50} / ${s.p99} ms</text>`,
      ].join('');
    })
    .join('\n');
  const width = labelWidth + 2 * barWidth + 260;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#fff"/>
<text x="${labelWidth}" y="24" font-weight="bold">events per second</text>
<text x="${labelWidth + barWidth + 120}" y="24" font-weight="bold">latency p50 (green) / p99 (orange)</text>
${bars}
</svg>
`;
}

function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
