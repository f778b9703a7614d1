/**
 * `npm run demo`: sends sample traffic to the running local stack (single events,
 * a batch, an idempotent retry, a bad request) and follows the events to PROCESSED.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { readStackInfo } from './lib/stackInfo.ts';
import { sleep } from './lib/emulators.ts';

const { values } = parseArgs({ options: { events: { type: 'string', default: '20' } } });
const count = Math.max(1, Math.min(500, Number(values.events)));
const info = await readStackInfo();
const auth = { authorization: `Bearer ${info.apiKey}`, 'content-type': 'application/json' };
const pages = ['/', '/pricing', '/docs', '/blog/launch', '/signup'];

function sampleEvent(i: number) {
  return {
    eventType: i % 5 === 4 ? 'signup.completed' : 'page.viewed',
    payload: { title: `Sample ${i}` },
    siteId: 'demo-site',
    userId: `user-${i % 7}`,
    path: pages[i % pages.length],
    occurredAt: new Date().toISOString(),
  };
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${info.ingestUrl}${path}`, {
    method: 'POST',
    headers: { ...auth, ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const ids: string[] = [];
const singles = Math.ceil(count / 2);
for (let i = 0; i < singles; i += 1) {
  const { status, body } = await post('/v1/events', sampleEvent(i));
  if (status !== 202) throw new Error(`unexpected ${status}: ${JSON.stringify(body)}`);
  ids.push(String(body.eventId));
}
console.log(`POST /v1/events           ${singles} × 202`);

const batch = Array.from({ length: count - singles }, (_, i) => sampleEvent(singles + i));
if (batch.length > 0) {
  const { status, body } = await post('/v1/events/batch', { events: batch });
  const results = body.results as { eventId?: string }[];
  for (const result of results) if (result.eventId) ids.push(result.eventId);
  console.log(`POST /v1/events/batch     ${status}: ${String(body.accepted)} accepted`);
}

const key = randomUUID();
const retried = sampleEvent(0);
const first = await post('/v1/events', retried, { 'idempotency-key': key });
const retry = await post('/v1/events', retried, { 'idempotency-key': key });
console.log(
  `Idempotency-Key retry     ${first.status} then ${retry.status}, same event: ${first.body.eventId === retry.body.eventId}`,
);
ids.push(String(first.body.eventId));

const bad = await post('/v1/events', { eventType: 'Not Valid', payload: 'x' });
console.log(`Invalid event             ${bad.status}: ${JSON.stringify(bad.body)}`);

const started = Date.now();
const pending = new Set(ids);
const statuses = new Map<string, number>();
while (pending.size > 0 && Date.now() - started < 30_000) {
  for (const id of pending) {
    const response = await fetch(`${info.apiUrl}/v1/events/${id}`, {
      headers: { authorization: `Bearer ${info.adminToken}` },
    });
    if (response.status !== 200) continue;
    const { status } = (await response.json()) as { status: string };
    if (status === 'PROCESSED' || status === 'DEAD_LETTER') {
      pending.delete(id);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  }
  if (pending.size > 0) await sleep(200);
}
const summary = [...statuses].map(([status, n]) => `${n} ${status}`).join(', ');
console.log(
  `Followed ${ids.length} events: ${summary}${pending.size ? `, ${pending.size} still pending` : ''} (${Date.now() - started} ms)`,
);
if (pending.size > 0 || statuses.has('DEAD_LETTER')) process.exit(1);
