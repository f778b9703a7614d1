// The tracking plan: its settings, each type with its current version and whether a draft
// waits, a type's versions with their schemas, a UTC day's violations by type with example
// events, and replays of the quarantine followed until they complete. Two API calls for
// the plan (the plan and the day's violations), one for a type.
import {
  $,
  api,
  badge,
  el,
  errorText,
  facts,
  number,
  say,
  send,
  shortId,
  table,
  when,
} from './dom.js';
import { dayOf } from './ranges.js';
import { go, href } from './router.js';

const base = '/v1/admin/tracking-plan';
const pollMs = 1000;
const passesNow = 'None now: it passed a later check.';
/** What each enforcement does, as the settings are read. */
const enforcement = {
  allow: 'allow: the event goes on, what it breaks recorded with it',
  quarantine: 'quarantine: held, not loaded or delivered, until a replay lets it through',
  block: 'block: refused where the producer sees the answer; quarantined elsewhere',
};

/** The replay being followed: kept across renders, so coming back resumes following it. */
let job = null;
let following = 0;

export function setup() {
  $('plan-day').addEventListener('submit', (event) => {
    event.preventDefault();
    const day = event.target.elements.day.value;
    if (day) go('plan', null, { day });
  });
  $('plan-replay-start').addEventListener('click', () => void startReplay());
}

export async function render(route, isCurrent) {
  const detail = route.id !== null;
  $('plan-list-view').hidden = detail;
  $('plan-type-view').hidden = !detail;
  if (detail) return renderType(route.id, isCurrent);
  const day = dayOf(route.params);
  const [plan, violations] = await Promise.all([
    api(base),
    api(`${base}/violations?day=${day}&examples=3`),
  ]);
  if (!isCurrent()) return;
  $('plan-day').elements.day.value = violations.day;
  showSettings(plan);
  showTypes(plan.types);
  showViolations(violations);
  if (job) {
    showJob(job);
    if (job.status !== 'completed') void follow();
  }
}

function showSettings(plan) {
  $('plan-settings').replaceChildren(
    facts(
      [
        ['Unplanned types', setting(plan.settings, 'unplanned')],
        ['Violations', setting(plan.settings, 'violations')],
        ['Revision', plan.revision],
      ],
      { wide: true },
    ),
  );
}

const setting = (settings, name) =>
  el('span', { 'data-setting': name }, enforcement[settings[name]] ?? settings[name]);

function showTypes(types) {
  $('plan-types').replaceChildren(
    types.length === 0
      ? el('p', { class: 'muted' }, 'No type in the plan yet (import a plan file through the API).')
      : table(
          ['Type', 'Current version', 'Published', 'Required fields', 'Draft', 'Description'],
          types.map((t) =>
            Object.assign(
              [
                el('a', { href: href('plan', t.eventType) }, t.eventType),
                t.current
                  ? `v${t.current.version}`
                  : el('span', {}, badge('retired'), ` (had v${t.latestVersion})`),
                when(t.current?.publishedAt),
                t.current ? fieldList(t.current.requiredFields) : null,
                t.draft
                  ? el('span', { 'data-draft': '' }, `waiting (${when(t.draft.updatedAt)})`)
                  : null,
                t.current?.description ?? null,
              ],
              { attributes: { 'data-event-type': t.eventType } },
            ),
          ),
          { id: 'plan-types-table' },
        ),
  );
}

const events = (n) => `${number(n)} ${n === 1 ? 'event' : 'events'}`;
const fieldList = (fields) => (fields.length === 0 ? 'none' : fields.join(', '));

function showViolations(answer) {
  $('plan-violations-total').textContent = `${number(answer.total)} on ${answer.day} (UTC)`;
  $('plan-violations').replaceChildren(
    ...(answer.types.length === 0
      ? [el('p', { class: 'muted' }, `No event broke the plan on ${answer.day}.`)]
      : answer.types.map(violationsOfType)),
  );
}

/** One type's count and its example events, a row per way each broke the plan. */
function violationsOfType(t) {
  const rows = t.examples.flatMap((example) => {
    const id = example.eventId;
    const link = el('a', { href: href('events', id), title: id }, shortId(id));
    const status = badge(example.status);
    const attributes = { 'data-event-id': id };
    // Replayed and processed since: it keeps its day, and breaks nothing now.
    if (example.violations.length === 0)
      return [Object.assign([link, status, null, null, null, passesNow], { attributes })];
    return example.violations.map((v, i) =>
      Object.assign(
        [
          i === 0 ? link : '',
          i === 0 ? status : '',
          v.version === null ? null : `v${v.version}`,
          el('code', {}, v.instancePath || '(the event)'),
          v.keyword,
          v.message,
        ],
        { attributes },
      ),
    );
  });
  return el(
    'div',
    { class: 'plan-violations', 'data-event-type': t.eventType },
    el(
      'h4',
      {},
      el('a', { href: href('plan', t.eventType) }, t.eventType),
      ' ',
      el('span', { class: 'muted', 'data-count': t.count }, events(t.count)),
    ),
    rows.length === 0
      ? el('p', { class: 'muted' }, 'No example kept.')
      : table(['Event', 'Status', 'Version', 'Pointer', 'Keyword', 'Message'], rows, {
          caption: `Examples of ${t.eventType}`,
        }),
  );
}

async function renderType(eventType, isCurrent) {
  const type = await api(`${base}/types/${encodeURIComponent(eventType)}`);
  if (!isCurrent()) return;
  $('plan-type-title').textContent = type.eventType;
  $('plan-type-facts').replaceChildren(
    facts([
      ['Current version', type.current ? `v${type.current.version}` : badge('retired')],
      ['Versions published', type.latestVersion],
    ]),
  );
  $('plan-draft').replaceChildren(
    type.draft
      ? el(
          'div',
          { class: 'plan-version', 'data-draft': '' },
          el('h4', {}, 'Draft, not enforced until published'),
          definition(type.draft, ['Updated', when(type.draft.updatedAt)]),
        )
      : '',
  );
  $('plan-versions').replaceChildren(
    ...(type.versions.length === 0
      ? [el('p', { class: 'muted' }, 'No version published.')]
      : type.versions.map((v) =>
          el(
            'div',
            { class: 'plan-version', 'data-version': v.version },
            el(
              'h4',
              {},
              `Version ${v.version}`,
              v.version === type.current?.version ? [' ', badge('current')] : null,
            ),
            definition(v, ['Published', when(v.publishedAt)]),
          ),
        )),
  );
}

/** A version's (or the draft's) required fields, description and schema, pretty-printed. */
function definition(d, time) {
  return [
    facts([time, ['Required fields', fieldList(d.requiredFields)], ['Description', d.description]]),
    el('pre', { class: 'schema' }, JSON.stringify(d.schema, null, 2)),
  ];
}

/** Replays every quarantined event, then follows the job. */
async function startReplay() {
  const button = $('plan-replay-start');
  button.disabled = true;
  try {
    job = await send('POST', `${base}/replays`, {});
  } catch (error) {
    button.disabled = false;
    return say('plan-message', `Not replayed: ${errorText(error)}`, 'error');
  }
  say('plan-message', `Replay started: ${events(job.matched)} quarantined to check.`);
  showJob(job);
  await follow();
}

/** Reads the job every second until it completes, while the view is shown (back: again). */
async function follow() {
  const mine = ++following;
  const button = $('plan-replay-start');
  button.disabled = job.status !== 'completed';
  try {
    while (job.status !== 'completed') {
      await new Promise((resolve) => setTimeout(resolve, pollMs));
      if (mine !== following || $('plan-list-view').hidden || $('panel-plan').hidden) return;
      job = await api(`${base}/replays/${encodeURIComponent(job.replayId)}`);
      if (mine === following) showJob(job);
    }
  } catch (error) {
    if (mine === following)
      say('plan-message', `Could not follow the replay: ${errorText(error)}`, 'error');
  } finally {
    if (mine === following) button.disabled = false;
  }
}

function showJob(j) {
  const checked = j.matched - j.remaining;
  const counts = [
    ['matched', 'Quarantined, matched', j.matched],
    ['replayed', 'Passed, processed', j.replayed],
    ['stillFailing', 'Still failing', j.stillFailing],
    ['skipped', 'No longer quarantined', j.skipped],
    ['failed', 'Not queued (replay again)', j.failed],
    ['remaining', 'Remaining', j.remaining],
  ];
  $('plan-replay').replaceChildren(
    el(
      'div',
      { class: 'plan-replay', 'data-replay-id': j.replayId, 'data-status': j.status },
      el(
        'div',
        { class: 'row' },
        el('label', { for: 'plan-replay-progress' }, 'Progress'),
        el('progress', {
          id: 'plan-replay-progress',
          max: Math.max(j.matched, 1),
          value: j.matched === 0 ? 1 : checked,
        }),
        el(
          'span',
          { 'aria-live': 'polite' },
          badge(j.status),
          ` ${number(checked)} of ${number(j.matched)} checked`,
        ),
      ),
      el(
        'div',
        { class: 'counts' },
        ...counts.map(([key, label, n]) =>
          el(
            'div',
            { class: 'count', 'data-count': key },
            el('div', { class: 'n' }, number(n)),
            el('div', { class: 'label' }, label),
          ),
        ),
      ),
      facts([
        ['Replay', el('code', {}, j.replayId)],
        ['Started', when(j.createdAt)],
        ['Finished', when(j.finishedAt)],
      ]),
    ),
  );
}
