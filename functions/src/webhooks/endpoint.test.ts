import { describe, expect, it } from 'vitest';
import {
  activeSecrets,
  applyUpdate,
  createEndpointSchema,
  isEndpointId,
  newEndpoint,
  newEndpointId,
  presentEndpoint,
  replayWindowSchema,
  rotateSecrets,
  type StoredSecret,
  type WebhookEndpoint,
} from './endpoint.ts';

const now = new Date('2026-01-02T03:04:05.000Z');
const later = (seconds: number) => new Date(now.getTime() + seconds * 1000);

function endpoint(overrides: Partial<WebhookEndpoint> = {}): WebhookEndpoint {
  const settings = { id: newEndpointId(), url: 'https://hooks.example.com/', description: null };
  return {
    ...newEndpoint(
      {
        ...settings,
        eventTypes: ['page.*'],
        enabled: true,
        secrets: [{ ciphertext: 'v1.k1.a.b', createdAt: now, expiresAt: null }],
      },
      now,
    ),
    ...overrides,
  };
}

describe('endpoint ids', () => {
  it('are random and recognisable', () => {
    const id = newEndpointId();
    expect(isEndpointId(id)).toBe(true);
    expect(newEndpointId()).not.toBe(id);
    expect(isEndpointId('ep_short')).toBe(false);
    expect(isEndpointId('../../events')).toBe(false);
  });
});

describe('applyUpdate', () => {
  it('enabling a disabled endpoint starts a fresh failure run', () => {
    const disabled = endpoint({
      enabled: false,
      disabledReason: 'consecutive_failures',
      disabledAt: now,
      consecutiveFailures: 100,
      failedAttempts: 120,
    });
    expect(applyUpdate(disabled, { enabled: true }, later(5))).toMatchObject({
      enabled: true,
      disabledReason: null,
      disabledAt: null,
      consecutiveFailures: 0,
      failedAttempts: 120,
      // Every instance's failures before it leave the run.
      runStartedAt: later(5),
      updatedAt: later(5),
    });
  });

  it('disabling by hand says so; other fields change as asked', () => {
    expect(applyUpdate(endpoint(), { enabled: false }, now)).toMatchObject({
      enabled: false,
      disabledReason: 'manual',
    });
    expect(
      applyUpdate(endpoint({ description: 'x' }), { eventTypes: ['a.b'], description: null }, now),
    ).toMatchObject({ eventTypes: ['a.b'], description: null });
  });
});

describe('secret rotation', () => {
  const first: StoredSecret = { ciphertext: 'first', createdAt: now, expiresAt: null };
  const second: StoredSecret = { ciphertext: 'second', createdAt: now, expiresAt: null };
  const third: StoredSecret = { ciphertext: 'third', createdAt: later(10), expiresAt: null };

  it('the new secret leads; the previous one signs until the grace period ends', () => {
    const secrets = rotateSecrets([first], second, 3600, now);
    expect(secrets.map((s) => s.ciphertext)).toEqual(['second', 'first']);
    expect(secrets[1]?.expiresAt).toEqual(later(3600));
    const e = endpoint({ secrets });
    expect(activeSecrets(e, later(3599)).map((s) => s.ciphertext)).toEqual(['second', 'first']);
    expect(activeSecrets(e, later(3600)).map((s) => s.ciphertext)).toEqual(['second']);
  });

  it('a rotation without grace drops the old secret at once', () => {
    expect(rotateSecrets([first], second, 0, now).map((s) => s.ciphertext)).toEqual(['second']);
  });

  it('a second rotation never extends an older secret', () => {
    const once = rotateSecrets([first], second, 60, now);
    const twice = rotateSecrets(once, third, 3600, later(10));
    expect(twice.map((s) => [s.ciphertext, s.expiresAt])).toEqual([
      ['third', null],
      ['second', later(3610)],
      ['first', later(60)],
    ]);
  });

  it('operators never see a secret, only when a rotation ends', () => {
    const shown = presentEndpoint(endpoint({ secrets: rotateSecrets([first], second, 60, now) }));
    expect(JSON.stringify(shown)).not.toContain('first');
    expect(JSON.stringify(shown)).not.toContain('second');
    expect(shown.secretRotation).toEqual({ previousSecretExpiresAt: later(60).toISOString() });
  });
});

describe('input schemas', () => {
  it('names the bad field', () => {
    const result = createEndpointSchema.safeParse({ url: 'https://x', eventTypes: ['Page'] });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['eventTypes', 0]);
  });

  it('a replay window ends after it starts', () => {
    const result = replayWindowSchema.safeParse({
      from: '2026-01-02T00:00:00Z',
      to: '2026-01-01T00:00:00Z',
    });
    expect(result.error?.issues[0]?.path).toEqual(['to']);
  });
});
