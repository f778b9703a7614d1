// Privacy: file a regulation (erase, suppress, lift a suppression), the recent regulations,
// one regulation's receipt per store followed until it ends, and a UTC day's count of
// events dropped as suppressed. Two API calls for the list (the regulations and the day's
// count), one for a regulation. The subjects typed in are sent once and never kept: not
// in the form after filing, not in the URL, not in any storage.
import {
  $,
  api,
  badge,
  el,
  errorText,
  facts,
  number,
  say,
  sayNext,
  send,
  shortId,
  table,
  when,
} from './dom.js';
import { dayOf } from './ranges.js';
import { go, href } from './router.js';

const base = '/v1/admin/regulations';
const pollMs = 1000;
/** A regulation still at work: its view reads it again until it ends. */
const working = new Set(['INITIALIZED', 'RUNNING']);
/** What each store's receipt covers, as an operator reads it. */
const stores = {
  suppressionList: 'Suppression list',
  events: 'Event records',
  deliveries: 'Webhook deliveries',
  idempotency: 'Idempotency records',
  warehouseRejections: 'Warehouse rejections',
  uploads: 'Upload row errors',
  warehouse: 'Warehouse',
  receivers: 'Receivers (subject.erased)',
};

/** Which regulation's view is being refreshed; a newer one stops the older. */
let following = 0;

export function setup() {
  const form = $('regulation-form');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void file(form);
  });
  $('privacy-day').addEventListener('submit', (event) => {
    event.preventDefault();
    const day = event.target.elements.day.value;
    if (day) go('privacy', null, { day });
  });
}

export async function render(route, isCurrent) {
  following += 1;
  const detail = route.id !== null;
  $('privacy-list-view').hidden = detail;
  $('privacy-regulation-view').hidden = !detail;
  if (detail) return renderRegulation(route.id, isCurrent);
  const day = dayOf(route.params);
  const [recent, suppressed] = await Promise.all([
    api(base),
    api(`/v1/admin/privacy/suppressed?day=${day}`),
  ]);
  if (!isCurrent()) return;
  $('privacy-day').elements.day.value = suppressed.day;
  showSuppressed(suppressed);
  showRegulations(recent.items);
}

const subjects = (r) =>
  `${number(r.subjectCount)} ${r.subjectKind}${r.subjectCount === 1 ? '' : 's'}`;

/** Files the regulation; whatever happens, the subjects are sent as typed and then let go. */
async function file(form) {
  const subjectsField = form.elements.subjects;
  const body = {
    type: form.elements.type.value,
    subjectKind: form.elements.subjectKind.value,
    subjects: subjectsField.value
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter(Boolean),
  };
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  for (const control of form.elements) control.removeAttribute('aria-invalid');
  try {
    const regulation = await send('POST', base, body);
    form.reset();
    subjectsField.value = '';
    sayNext(
      'privacy-message',
      `Filed: ${regulation.type} of ${subjects(regulation)}. The subjects are not kept in this page.`,
    );
    go('privacy', regulation.regulationId);
  } catch (error) {
    // Refused: the subjects stay in the field to be corrected; the field named is marked.
    for (const { field } of error.fields ?? []) {
      const control = form.elements[String(field).split('.')[0]];
      if (control instanceof Element) control.setAttribute('aria-invalid', 'true');
    }
    say('privacy-message', `Not filed: ${errorText(error)}`, 'error');
  } finally {
    button.disabled = false;
  }
}

function showSuppressed(s) {
  const counts = [
    ['suppressedEvents', `Events dropped on ${s.day} (UTC)`, s.suppressedEvents],
    ['suppressedSubjects', 'Subjects suppressed now', s.suppressedSubjects],
  ];
  $('privacy-suppressed').replaceChildren(
    el(
      'div',
      { class: 'counts', 'data-day': s.day },
      ...counts.map(([key, label, n]) =>
        el(
          'div',
          { class: 'count', 'data-count': key },
          el('div', { class: 'n' }, number(n)),
          el('div', { class: 'label' }, label),
        ),
      ),
    ),
    el(
      'p',
      { class: 'muted' },
      'Their producers were answered as if the events were accepted. ',
      `A change to the list reaches every instance within ${number(s.staleSeconds)} s.`,
    ),
  );
}

function showRegulations(items) {
  $('regulations-list').replaceChildren(
    items.length === 0
      ? el('p', { class: 'muted' }, 'No regulation filed yet.')
      : table(
          ['Regulation', 'Type', 'Subjects', 'Status', 'Filed', 'Finished', 'Error'],
          items.map((r) =>
            Object.assign(
              [
                el(
                  'a',
                  { href: href('privacy', r.regulationId), title: r.regulationId },
                  shortId(r.regulationId),
                ),
                r.type,
                subjects(r),
                badge(r.status),
                when(r.createdAt),
                r.finishedAt ? when(r.finishedAt) : null,
                r.error,
              ],
              { attributes: { 'data-regulation-id': r.regulationId, 'data-status': r.status } },
            ),
          ),
          { id: 'regulations-table' },
        ),
  );
}

async function renderRegulation(regulationId, isCurrent) {
  const regulation = await api(`${base}/${encodeURIComponent(regulationId)}`);
  if (!isCurrent()) return;
  showRegulation(regulation);
  if (working.has(regulation.status)) void follow(regulation, isCurrent);
}

/** Reads the regulation every second until it ends, while its view is the one shown. */
async function follow(start, isCurrent) {
  const mine = following;
  let regulation = start;
  try {
    while (working.has(regulation.status)) {
      await new Promise((resolve) => setTimeout(resolve, pollMs));
      if (mine !== following || !isCurrent()) return;
      regulation = await api(`${base}/${encodeURIComponent(regulation.regulationId)}`);
      if (mine !== following || !isCurrent()) return;
      showRegulation(regulation);
    }
  } catch (error) {
    if (mine === following && isCurrent())
      say('privacy-message', `Could not follow the regulation: ${errorText(error)}`, 'error');
  }
}

function showRegulation(r) {
  $('regulation-title').textContent = r.regulationId;
  $('regulation-facts').replaceChildren(
    el(
      'div',
      { class: 'regulation', 'data-regulation-id': r.regulationId, 'data-status': r.status },
      facts([
        ['Type', r.type],
        ['Subjects', subjects(r)],
        [
          'Status',
          el(
            'span',
            { 'aria-live': 'polite' },
            badge(r.status),
            working.has(r.status) ? ' (refreshing every second)' : null,
          ),
        ],
        ['Filed', when(r.createdAt)],
        ['On the suppression list', r.listedAt ? when(r.listedAt) : null],
        ['Updated', when(r.updatedAt)],
        ['Finished', r.finishedAt ? when(r.finishedAt) : null],
        ['Attempts', r.attempts],
        ['Error', r.error ? el('span', { class: 'error' }, r.error) : null],
      ]),
    ),
  );
  $('regulation-receipts').replaceChildren(
    r.receipts.length === 0
      ? el(
          'p',
          { class: 'muted' },
          working.has(r.status)
            ? 'No receipt yet: the stores are swept once every instance holds the new list.'
            : 'No receipt.',
        )
      : table(
          ['Store', 'Searched', 'Removed', 'At', 'Error'],
          r.receipts.map((receipt) =>
            Object.assign(
              [
                el('span', { title: receipt.store }, stores[receipt.store] ?? receipt.store),
                receipt.searched,
                receipt.removed,
                when(receipt.at),
                receipt.error ? el('span', { class: 'error' }, receipt.error) : null,
              ],
              { attributes: { 'data-store': receipt.store } },
            ),
          ),
          { id: 'regulation-receipts-table', caption: 'A receipt per store swept' },
        ),
  );
}
