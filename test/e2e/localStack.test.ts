import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStackInfo } from '../../scripts/lib/localStack.ts';
import { projectRoot } from '../../scripts/lib/localStack.ts';
import { Webhook } from 'standardwebhooks';
import { startNpmStart } from '../support/npmStart.ts';
import { eventually, postJson } from '../support/pipeline.ts';
import { TestReceiver } from '../support/receiver.ts';

/** `npm start` as a user runs it (reusing the test run's emulators), driven over HTTP. */
describe('the local stack, end to end', () => {
  let stack: ChildProcess;
  let stateDir: string;
  let info: LocalStackInfo;
  let output: () => string;

  beforeAll(async () => {
    const started = await startNpmStart('e2e');
    stack = started.process;
    stateDir = started.stateDir;
    info = started.info;
    output = started.output;
  });

  afterAll(async () => {
    if (stack.exitCode === null) stack.kill('SIGKILL');
    await rm(stateDir, { recursive: true, force: true });
  });

  async function eventStatus(eventId: string): Promise<Record<string, unknown> | undefined> {
    const response = await fetch(`${info.apiUrl}/v1/events/${eventId}`, {
      headers: { authorization: `Bearer ${info.adminToken}` },
    });
    return response.status === 200
      ? ((await response.json()) as Record<string, unknown>)
      : undefined;
  }

  it('prints the URLs and the local API key, and writes them to local.json', () => {
    expect(output()).toContain(info.ingestUrl);
    expect(output()).toContain(info.apiKey);
    expect(Object.keys(info).sort()).toEqual(
      [
        'adminToken',
        'apiKey',
        'apiUrl',
        'firestoreEmulatorHost',
        'functionUrls',
        'ingestUrl',
        'projectId',
        'pubsubEmulatorHost',
      ].sort(),
    );
  });

  it('takes an event posted by a producer to PROCESSED', async () => {
    const response = await postJson(
      `${info.ingestUrl}/v1/events`,
      { eventType: 'checkout.completed', payload: { amount: 42 }, userId: 'u-1' },
      { authorization: `Bearer ${info.apiKey}` },
    );
    expect(response.status).toBe(202);
    const { eventId } = (await response.json()) as { eventId: string };
    const status = await eventually(
      async () => {
        const body = await eventStatus(eventId);
        return body?.status === 'PROCESSED' ? body : undefined;
      },
      { what: 'PROCESSED' },
    );
    expect(status).toMatchObject({ eventId, eventType: 'checkout.completed', attempts: 1 });
    expect(status.processingLatencyMs).toBeGreaterThanOrEqual(0);
  });

  it('guards the operators’ API with the admin token', async () => {
    const anonymous = await fetch(`${info.apiUrl}/v1/events/00000000-0000-4000-8000-000000000000`);
    expect(anonymous.status).toBe(401);
    const wrong = await fetch(`${info.apiUrl}/v1/events/x`, {
      headers: { authorization: `Bearer ${info.apiKey}` },
    });
    expect(wrong.status).toBe(401);
    const unknown = await fetch(`${info.apiUrl}/v1/events/00000000-0000-4000-8000-000000000000`, {
      headers: { authorization: `Bearer ${info.adminToken}` },
    });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it('forwards an event to a webhook receiver on this machine, signed', async () => {
    const receiver = await TestReceiver.start();
    try {
      const created = await postJson(
        `${info.apiUrl}/v1/webhook-endpoints`,
        { url: receiver.url('/hook'), eventTypes: ['checkout.*'] },
        { authorization: `Bearer ${info.adminToken}` },
      );
      expect(created.status).toBe(201);
      const { secret } = (await created.json()) as { secret: string };
      // New endpoints reach processEvent within its endpoint cache lifetime: send until one arrives.
      const sent: string[] = [];
      const request = await eventually(
        async () => {
          const response = await postJson(
            `${info.ingestUrl}/v1/events`,
            { eventType: 'checkout.completed', payload: { amount: 7 } },
            { authorization: `Bearer ${info.apiKey}` },
          );
          sent.push(((await response.json()) as { eventId: string }).eventId);
          return sent.map((id) => receiver.received('/hook', id)[0]).find(Boolean);
        },
        { timeoutMs: 40_000, intervalMs: 1000, what: 'the webhook to arrive' },
      );
      const verified = new Webhook(secret).verify(request.body, {
        'webhook-id': String(request.headers['webhook-id']),
        'webhook-timestamp': String(request.headers['webhook-timestamp']),
        'webhook-signature': String(request.headers['webhook-signature']),
      });
      expect(verified).toMatchObject({
        type: 'checkout.completed',
        data: { payload: { amount: 7 } },
      });
    } finally {
      await receiver.close();
    }
  });

  it('runs the demo traffic to completion', async () => {
    const demo = spawn(
      process.execPath,
      [join(projectRoot, 'scripts', 'demo.ts'), '--events', '30'],
      {
        cwd: projectRoot,
        env: { ...process.env, TRIBUTARY_STATE_DIR: stateDir },
      },
    );
    let demoOutput = '';
    demo.stdout.on('data', (chunk: Buffer) => (demoOutput += chunk.toString()));
    demo.stderr.on('data', (chunk: Buffer) => (demoOutput += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => demo.once('exit', resolve));
    expect(demoOutput).toMatch(/Followed 31 events: 31 PROCESSED/);
    expect(code).toBe(0);
  });

  it('shuts everything down on Ctrl-C', async () => {
    const exited = new Promise<number | null>((resolve) => stack.once('exit', resolve));
    stack.kill('SIGINT');
    expect(await exited).toBe(0);
    await expect(readFile(join(stateDir, 'local.json'), 'utf8')).rejects.toThrow(/ENOENT/);
    await expect(fetch(info.ingestUrl)).rejects.toThrow(/fetch failed/);
  });
});
