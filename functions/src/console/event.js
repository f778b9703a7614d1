// One event looked up by id: status, attempts, history, payload, and its webhook
// deliveries with every attempt; replay the event or one delivery. One API call:
// GET /v1/events/{eventId}.
import {
  $,
  actionButton,
  api,
  ApiError,
  badge,
  el,
  facts,
  say,
  sayNext,
  table,
  when,
  problemText,
  replayDelivery,
  replayEvent,
} from './dom.js';
import { go, href } from './router.js';

export function setup() {
  $('event-lookup').addEventListener('submit', (event) => {
    event.preventDefault();
    const id = $('event-id').value.trim();
    if (id) go('events', id);
  });
}

export async function render(route, isCurrent) {
  $('event-detail').hidden = true;
  if (!route.id) {
    $('event-id').value = '';
    say('events-message', 'Look an event up by its id (the eventId its producer was answered).');
    return;
  }
  $('event-id').value = route.id;
  let event;
  try {
    event = await api(`/v1/events/${encodeURIComponent(route.id)}`);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 404) throw error;
    if (isCurrent()) say('events-message', `No status is recorded for ${route.id} (yet).`, 'error');
    return;
  }
  if (!isCurrent()) return;
  show(event);
}

const json = (value) => JSON.stringify(value, null, 2);

/** How the event broke the tracking plan when last checked, one violation a line. */
function violationsText(violations) {
  if (!violations || violations.length === 0) return null;
  return violations
    .map(
      (v) =>
        `${v.instancePath || '(root)'} ${v.message} (${v.keyword}, ${v.eventType}${v.version === null ? '' : ` v${v.version}`})`,
    )
    .join('\n');
}

function show(event) {
  $('event-title').textContent = event.eventId;
  // A quarantined event replayed alone is checked against the plan as it is now.
  const replayable = ['FAILED', 'DEAD_LETTER', 'QUARANTINED'].includes(event.status);
  $('event-actions').replaceChildren(
    replayable
      ? actionButton('Replay event', async () => {
          const answer = await replayEvent(event.eventId);
          sayNext('events-message', `Queued again (replay ${answer.replay}).`);
          go('events', event.eventId);
        })
      : '',
  );
  $('event-facts').replaceChildren(
    facts(
      [
        ['Status', badge(event.status)],
        ['Type', event.eventType],
        ['Source', event.source],
        ['Producer', event.producer],
        ['Idempotency key', event.idempotencyKey],
        ['Attempts', event.attempts],
        ['Replays', event.replays],
        ['Received', when(event.receivedAt)],
        ['Occurred', when(event.occurredAt)],
        ['Processed', when(event.processedAt)],
        ['Failed', when(event.failedAt)],
        ['Dead-lettered', when(event.deadLetteredAt)],
        ['Queued', when(event.queuedAt)],
        ['Latency', event.processingLatencyMs === null ? null : `${event.processingLatencyMs} ms`],
        ['Last error', problemText(event.lastError)],
        ['Plan violations', violationsText(event.violations)],
      ],
      { wide: true },
    ),
  );
  const history = event.history ?? [];
  $('event-history').replaceChildren(
    history.length === 0
      ? el('p', { class: 'muted' }, 'Processed at the first attempt: no history kept.')
      : table(
          ['At', 'Status', 'Replay', 'Attempts', 'Error'],
          history.map((h) => [
            when(h.at),
            badge(h.status),
            h.replay,
            h.attempts,
            problemText(h.error),
          ]),
          { id: 'event-history-table' },
        ),
  );
  const missing =
    event.status === 'PROCESSED'
      ? 'Not in the warehouse yet (it is loaded every minute).'
      : 'No body is kept for this event.';
  $('event-payload').textContent = event.payload === null ? missing : json(event.payload);
  $('event-metadata').textContent = event.metadata === null ? '—' : json(event.metadata);
  $('event-deliveries').replaceChildren(
    ...(event.deliveries.length === 0
      ? [el('p', { class: 'muted' }, 'No webhook endpoint took this event.')]
      : event.deliveries.map((d) => delivery(event.eventId, d))),
  );
  $('event-detail').hidden = false;
}

function delivery(eventId, d) {
  return el(
    'div',
    { class: 'delivery', 'data-endpoint-id': d.endpointId },
    el(
      'div',
      { class: 'section-head' },
      el(
        'h4',
        {},
        'To ',
        el('a', { href: href('webhooks', d.endpointId) }, d.endpointId),
        ' ',
        badge(d.status),
      ),
      d.status === 'delivered'
        ? ''
        : actionButton(
            'Replay delivery',
            async () => {
              await replayDelivery(eventId, d.endpointId);
              sayNext('events-message', `Delivery to ${d.endpointId} queued again.`);
              go('events', eventId);
            },
            { class: 'quiet' },
          ),
    ),
    facts([
      ['Attempts', d.attemptCount],
      ['Created', when(d.createdAt)],
      ['Delivered', when(d.deliveredAt)],
      ['Failed', when(d.failedAt)],
      ['Exhausted', when(d.exhaustedAt)],
      ['Last error', problemText(d.lastError)],
    ]),
    table(
      ['At', 'HTTP status', 'Latency (ms)', 'Outcome', 'Error', 'Answer (excerpt)'],
      d.attempts.map((a) => [
        when(a.at),
        a.statusCode,
        a.latencyMs,
        a.outcome,
        problemText(a.error),
        a.responseExcerpt,
      ]),
      { class: 'compact attempts' },
    ),
  );
}
