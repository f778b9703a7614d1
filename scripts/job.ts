/**
 * `npm run job -- <schedule> [--data '<json>']`: runs a scheduled job of the spec now
 * against the running local stack, by publishing to its topic as the scheduler does.
 *
 *   npm run job -- load-warehouse
 *   npm run job -- recompute-metrics --data '{"from":"2026-01-01","to":"2026-01-31"}'
 */
import { parseArgs } from 'node:util';
import { PubSub } from '@google-cloud/pubsub';
import { schedules } from '../infra/spec.ts';
import { readStackInfo } from './lib/stackInfo.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { data: { type: 'string' } },
});
const schedule = schedules.find((s) => s.name === positionals[0]);
if (!schedule) {
  console.error(
    `usage: npm run job -- <${schedules.map((s) => s.name).join('|')}> [--data '<json object>']`,
  );
  process.exit(2);
}
let data: unknown = schedule.data;
if (values.data !== undefined) {
  try {
    data = JSON.parse(values.data);
  } catch {
    console.error('--data must be a JSON object.');
    process.exit(2);
  }
}

process.env.METADATA_SERVER_DETECTION ??= 'none';
const info = await readStackInfo();
const pubsub = new PubSub({
  projectId: info.projectId,
  apiEndpoint: info.pubsubEmulatorHost,
  emulatorMode: true,
});
try {
  const text = JSON.stringify(data);
  const messageId = await pubsub.topic(schedule.topic).publishMessage({ data: Buffer.from(text) });
  console.log(`${schedule.name}: published ${text} to ${schedule.topic} (message ${messageId}).`);
} finally {
  await pubsub.close();
}
