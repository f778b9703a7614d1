// Sites: the sites seen over a range, and one site's views and unique visitors per day,
// its totals and its top paths. Two API calls: GET /v1/sites and GET /v1/stats.
import { daySeconds, timeChart } from './chart.js';
import { $, api, el, number, say, table } from './dom.js';
import { go, href } from './router.js';
import { rangeOf, showRange, wireRange } from './ranges.js';

let current = { site: null, range: '7d', from: null, to: null };

export function setup() {
  wireRange($('sites-range'), (range) => go('sites', null, { site: current.site, ...range }));
  $('site-select').addEventListener('change', (event) =>
    go('sites', null, { ...rangeParams(), site: event.target.value }),
  );
}

const rangeParams = () =>
  current.range === 'custom'
    ? { range: 'custom', from: current.from, to: current.to }
    : { range: current.range };

export async function render(route, isCurrent) {
  const range = rangeOf(route.params);
  showRange($('sites-range'), range);
  const span = `from=${range.from}&to=${range.to}`;
  const seen = await api(`/v1/sites?${span}`);
  const site = route.params.get('site') || seen.sites[0]?.siteId || null;
  const stats = site ? await api(`/v1/stats?siteId=${encodeURIComponent(site)}&${span}`) : null;
  if (!isCurrent()) return;
  current = { site, ...range };

  $('sites-span').textContent = `(${range.from} to ${range.to}, UTC)`;
  $('sites-list').replaceChildren(
    seen.sites.length === 0
      ? el('p', { class: 'muted' }, 'No site has events in this range.')
      : table(
          ['Site', 'Page views', 'Events', 'Last seen'],
          seen.sites.map((s) =>
            Object.assign(
              [
                el(
                  'a',
                  {
                    href: href('sites', null, { ...rangeParams(), site: s.siteId }),
                    'aria-current': s.siteId === site ? 'true' : undefined,
                  },
                  s.siteId,
                ),
                s.views,
                s.events,
                s.lastSeen,
              ],
              { attributes: { 'data-site': s.siteId } },
            ),
          ),
          { id: 'sites-table' },
        ),
    seen.truncated ? el('p', { class: 'muted' }, `The ${seen.count} most viewed sites.`) : '',
  );
  $('site-detail').hidden = !stats;
  if (!stats) return;
  showSite(stats, seen.sites);
}

function showSite(stats, sites) {
  $('site-name').textContent = '';
  $('site-name').append(el('code', {}, stats.siteId));
  const ids = sites.map((s) => s.siteId);
  if (!ids.includes(stats.siteId)) ids.unshift(stats.siteId);
  $('site-select').replaceChildren(
    ...ids.map((id) => el('option', { value: id, selected: id === stats.siteId }, id)),
  );
  $('site-totals').replaceChildren(
    total('Page views', stats.totalViews, 'views'),
    total('Unique visitors', stats.uniqueUsers, 'visitors'),
    total('Days', stats.days.length, 'days'),
  );
  timeChart($('site-chart'), {
    x: stats.days.map((d) => daySeconds(d.date)),
    series: [
      { label: 'Page views', values: stats.days.map((d) => d.totalViews), bars: true },
      { label: 'Unique visitors', values: stats.days.map((d) => d.uniqueUsers) },
    ],
    step: 86_400,
    label: `Page views and unique visitors of ${stats.siteId} per day, ${stats.from} to ${stats.to}`,
  });
  $('site-paths').replaceChildren(
    stats.topPaths.length === 0
      ? el('p', { class: 'muted' }, 'No page views with a path.')
      : table(
          ['Path', 'Page views'],
          stats.topPaths.map((p) => [p.path, p.views]),
          { id: 'site-paths-table' },
        ),
  );
  $('site-days').replaceChildren(
    table(
      ['Day', 'Page views', 'Unique visitors'],
      stats.days.map((d) =>
        Object.assign([d.date, d.totalViews, d.uniqueUsers], {
          attributes: { 'data-date': d.date },
        }),
      ),
      { id: 'site-days-table' },
    ),
  );
  say('sites-message', '');
}

function total(label, value, key) {
  return el(
    'div',
    { class: 'count', 'data-total': key },
    el('div', { class: 'n' }, number(value)),
    el('div', { class: 'label' }, label),
  );
}
