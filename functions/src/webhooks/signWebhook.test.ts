import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { generateSigningSecret, signWebhook } from './signWebhook.ts';
import { verifyWebhook } from './verifyWebhook.ts';

const body = JSON.stringify({ type: 'page.viewed', data: { title: 'Héllo ✓' } });
const id = '6bfc3e31-f253-494d-af62-2f662f29cb3d';

describe('signWebhook, checked by an independent Standard Webhooks implementation', () => {
  it('produces headers the standardwebhooks library verifies', () => {
    const secret = generateSigningSecret();
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = signWebhook({ id, timestamp, body, secrets: [secret] });
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(() => new Webhook(secret).verify(body, { ...headers })).not.toThrow();
  });

  it('during a rotation signs with every secret; a receiver with either one accepts', () => {
    const [previous, next] = [generateSigningSecret(), generateSigningSecret()];
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = signWebhook({ id, timestamp, body, secrets: [next, previous] });
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new Webhook(previous).verify(body, { ...headers })).not.toThrow();
    expect(() => new Webhook(next).verify(body, { ...headers })).not.toThrow();
    expect(() => new Webhook(generateSigningSecret()).verify(body, { ...headers })).toThrow(
      'No matching signature found',
    );
  });

  it('a changed body or id does not verify', () => {
    const secret = generateSigningSecret();
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = signWebhook({ id, timestamp, body, secrets: [secret] });
    expect(() => new Webhook(secret).verify(`${body} `, { ...headers })).toThrow(
      'No matching signature found',
    );
    expect(() => new Webhook(secret).verify(body, { ...headers, 'webhook-id': `${id}x` })).toThrow(
      'No matching signature found',
    );
  });

  it('matches the library signature byte for byte', () => {
    const secret = generateSigningSecret();
    const at = new Date('2026-01-02T03:04:05Z');
    const timestamp = Math.floor(at.getTime() / 1000);
    const ours = signWebhook({ id, timestamp, body, secrets: [secret] })['webhook-signature'];
    expect(ours).toBe(new Webhook(secret).sign(id, at, body));
  });
});

describe('verifyWebhook, the receivers’ helper', () => {
  const secret = generateSigningSecret();
  const now = new Date('2026-01-02T03:04:05Z');
  const libraryHeaders = () => ({
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, now, body),
  });

  it('accepts what the library signs', () => {
    expect(verifyWebhook({ body, headers: libraryHeaders(), secret, now })).toEqual({ ok: true });
  });

  it.each([
    ['another secret', { secret: generateSigningSecret() }, 'no matching signature'],
    ['another body', { body: '{}' }, 'no matching signature'],
    ['an old timestamp', { now: new Date(now.getTime() + 301_000) }, 'timestamp outside'],
    ['a future timestamp', { now: new Date(now.getTime() - 301_000) }, 'timestamp outside'],
  ])('refuses %s', (_, change, reason) => {
    const result = verifyWebhook({ body, headers: libraryHeaders(), secret, now, ...change });
    expect(result.ok).toBe(false);
    expect(result).toMatchObject({ reason: expect.stringContaining(reason) as string });
  });

  it('refuses missing headers', () => {
    const { 'webhook-signature': _, ...headers } = libraryHeaders();
    expect(verifyWebhook({ body, headers, secret, now })).toEqual({
      ok: false,
      reason: 'missing headers',
    });
  });
});
