// Google Workspace sources: create one from a form or from a JSON body in either shape
// POST /v1/sources accepts, poll now, see each application's cursor, lag and window, and
// the gaps. One API call to render the list or a source.
import {
  $,
  actionButton,
  api,
  badge,
  el,
  errorText,
  facts,
  say,
  sayNext,
  send,
  shownOnce,
  table,
  when,
  problemText,
} from './dom.js';
import { go, href } from './router.js';

const base = '/v1/sources';
const path = (id) => `${base}/${encodeURIComponent(id)}`;

export function setup() {
  for (const radio of document.querySelectorAll('input[name="source-mode"]')) {
    radio.addEventListener('change', () => {
      const json = radio.value === 'json' && radio.checked;
      $('source-form').hidden = json;
      $('source-json').hidden = !json;
    });
  }
  const form = $('source-form');
  form.elements.credentialType.addEventListener('change', () => {
    const oauth = form.elements.credentialType.value === 'oauth';
    form.querySelector('.oauth').hidden = !oauth;
    form.querySelector('.service-account').hidden = oauth;
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void create(formBody(form), form);
  });
  $('source-json').addEventListener('submit', (event) => {
    event.preventDefault();
    let body;
    try {
      body = JSON.parse(event.target.elements.body.value);
    } catch {
      return say('sources-message', 'The body is not JSON.', 'error');
    }
    void create(body, event.target);
  });
}

/** Tributary's own shape, from the form's fields; empty optional fields are left out. */
function formBody(form) {
  const v = (name) => String(form.elements[name].value).trim();
  const credentials =
    v('credentialType') === 'oauth'
      ? {
          type: 'oauth',
          clientId: v('clientId'),
          clientSecret: v('clientSecret'),
          refreshToken: v('refreshToken'),
        }
      : {
          type: 'service_account',
          serviceAccountKey: v('serviceAccountKey'),
          subject: v('subject'),
        };
  const applications = v('applications')
    .split(/[\s,]+/)
    .filter(Boolean);
  return {
    sourceType: 'google_workspace',
    ...(v('name') ? { name: v('name') } : {}),
    credentials,
    ...(applications.length > 0 ? { applications } : {}),
    ...(v('callbackUrl') ? { callbackUrl: v('callbackUrl') } : {}),
    ...(v('logFetchInterval') ? { logFetchInterval: Number(v('logFetchInterval')) } : {}),
  };
}

async function create(body, form) {
  try {
    const created = await send('POST', base, body);
    form.reset();
    say('sources-message', `Source ${created.id} created.`);
    if (created.webhookSecret) {
      shownOnce(
        'source-created',
        `Signing secret of the forwarding to ${created.callbackUrl}`,
        created.webhookSecret,
      );
    }
    await showList(() => true);
  } catch (error) {
    say('sources-message', `Not created: ${errorText(error)}`, 'error');
  }
}

export async function render(route, isCurrent) {
  const detail = route.id !== null;
  $('sources-list-view').hidden = detail;
  $('source-detail-view').hidden = !detail;
  return detail ? renderSource(route.id, isCurrent) : showList(isCurrent);
}

async function showList(isCurrent) {
  const { sources } = await api(base);
  if (!isCurrent()) return;
  $('sources-list').replaceChildren(
    sources.length === 0
      ? el('p', { class: 'muted' }, 'No source yet.')
      : table(
          [
            'Name',
            'Status',
            'Applications',
            'Last poll',
            'Last window completed',
            'Events',
            'Gaps',
            '',
          ],
          sources.map((s) =>
            Object.assign(
              [
                el('a', { href: href('sources', s.id) }, s.name ?? s.id),
                badge(s.status),
                s.applications.join(', '),
                when(s.lastPolledAt),
                when(s.lastSuccessAt),
                s.eventsFetched,
                s.gaps.length,
                pollButton(s),
              ],
              { attributes: { 'data-source-id': s.id } },
            ),
          ),
          { id: 'sources-table' },
        ),
  );
}

function pollButton(source) {
  return actionButton(
    'Poll now',
    async () => {
      await send('POST', `${path(source.id)}/poll`);
      say(
        'sources-message',
        `Polling ${source.name ?? source.id} now: ${source.applications.join(', ')}.`,
      );
    },
    { class: 'quiet', 'aria-label': `Poll ${source.name ?? source.id} now` },
  );
}

async function renderSource(id, isCurrent) {
  const source = await api(path(id));
  if (!isCurrent()) return;
  $('source-title').textContent = source.name ?? source.id;
  $('source-actions').replaceChildren(
    pollButton(source),
    actionButton(
      source.status === 'paused' ? 'Resume' : 'Pause',
      async () => {
        await send('PUT', path(source.id), {
          status: source.status === 'paused' ? 'active' : 'paused',
        });
        go('sources', source.id);
      },
      { class: 'quiet' },
    ),
    actionButton(
      'Delete',
      async () => {
        if (!confirm(`Delete the source ${source.name ?? source.id}?`)) return;
        await api(path(source.id), { method: 'DELETE' });
        sayNext('sources-message', `Source ${source.name ?? source.id} deleted.`);
        go('sources');
      },
      { class: 'danger' },
    ),
  );
  $('source-facts').replaceChildren(
    facts(
      [
        ['Id', source.id],
        ['Status', el('span', {}, badge(source.status), ` ${source.statusReason ?? ''}`)],
        ['Credentials', `${source.credentials.type}${source.credentials.set ? '' : ' (not set)'}`],
        [
          'Poll every',
          `${source.effectiveFetchIntervalSeconds} s (asked: ${source.logFetchInterval} s)`,
        ],
        ['Next poll', when(source.nextPollAt)],
        ['Last poll', when(source.lastPolledAt)],
        ['Last window completed', when(source.lastSuccessAt)],
        ['Last error', problemText(source.lastError)],
        ['Events fetched', source.eventsFetched],
        ['Forwarded to', source.callbackUrl],
        ['Fetches from', when(source.startAt)],
      ],
      { wide: true },
    ),
  );
  const now = Date.now();
  $('source-cursors').replaceChildren(
    table(
      [
        'Application',
        'Fetched up to',
        'Behind now',
        'Lag allowed',
        'Window being fetched',
        'Pages',
        'Events',
      ],
      source.applications.map((application) => {
        const c = source.cursors[application];
        return Object.assign(
          [
            application,
            when(c?.cursor),
            c?.cursor ? duration(now - Date.parse(c.cursor)) : null,
            duration(source.lagSeconds[application] * 1000),
            c?.window ? `${when(c.window.start)} → ${when(c.window.end)}` : null,
            c?.pagesInWindow ?? 0,
            c?.eventsFetched ?? 0,
          ],
          { attributes: { 'data-application': application } },
        );
      }),
      { id: 'source-cursors-table' },
    ),
  );
  $('source-gaps').replaceChildren(
    source.gaps.length === 0
      ? el('p', { class: 'muted' }, 'No gap: every window was completed.')
      : table(
          ['Application', 'From', 'To', 'Noticed', 'Reason'],
          source.gaps.map((g) => [g.application, when(g.start), when(g.end), when(g.at), g.reason]),
          { id: 'source-gaps-table' },
        ),
  );
}

function duration(ms) {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours} h ${minutes % 60} min` : `${Math.floor(hours / 24)} days`;
}
