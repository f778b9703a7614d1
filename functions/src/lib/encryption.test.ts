import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeKey, DecryptionError, parseKeyList, SecretBox } from './encryption.ts';

const key = (id: string) => ({ id, key: randomBytes(32) });

describe('SecretBox', () => {
  it('round-trips and never stores the clear text', () => {
    const box = new SecretBox(key('k1'));
    const sealed = box.encrypt('whsec_c2VjcmV0', 'webhook_endpoints/ep_1');
    expect(sealed).toMatch(/^v1\.k1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('c2VjcmV0');
    expect(box.decrypt(sealed, 'webhook_endpoints/ep_1')).toBe('whsec_c2VjcmV0');
  });

  it('uses a fresh IV each time', () => {
    const box = new SecretBox(key('k1'));
    expect(box.encrypt('same', 'c')).not.toBe(box.encrypt('same', 'c'));
  });

  it('refuses a ciphertext moved to another context, or altered', () => {
    const box = new SecretBox(key('k1'));
    const sealed = box.encrypt('secret', 'webhook_endpoints/ep_1');
    expect(() => box.decrypt(sealed, 'webhook_endpoints/ep_2')).toThrow(DecryptionError);
    const parts = sealed.split('.');
    const body = Buffer.from(parts[3]!, 'base64url');
    body[0] = body[0]! ^ 1;
    parts[3] = body.toString('base64url');
    expect(() => box.decrypt(parts.join('.'), 'webhook_endpoints/ep_1')).toThrow(DecryptionError);
    expect(() => box.decrypt('plain text', 'webhook_endpoints/ep_1')).toThrow(DecryptionError);
  });

  it('after a key rotation opens old ciphertexts with the previous key and seals with the new', () => {
    const [first, second] = [key('k1'), key('k2')];
    const old = new SecretBox(first).encrypt('secret', 'c');
    const rotated = new SecretBox(second, [first]);
    expect(rotated.decrypt(old, 'c')).toBe('secret');
    expect(rotated.isStale(old)).toBe(true);
    const fresh = rotated.encrypt('secret', 'c');
    expect(fresh.split('.')[1]).toBe('k2');
    expect(rotated.isStale(fresh)).toBe(false);
    expect(() => new SecretBox(second).decrypt(old, 'c')).toThrow('No encryption key with id k1');
  });

  it('insists on 32-byte keys', () => {
    expect(() => new SecretBox({ id: 'k1', key: randomBytes(16) })).toThrow('32 bytes');
  });
});

describe('key texts', () => {
  it('decodes a base64 key of 32 bytes', () => {
    const text = randomBytes(32).toString('base64');
    expect(decodeKey(text)).toHaveLength(32);
    expect(() => decodeKey(randomBytes(31).toString('base64'))).toThrow('32 bytes');
    expect(() => decodeKey('not base64!')).toThrow('base64');
  });

  it('parses a list of previous keys', () => {
    const [a, b] = [randomBytes(32).toString('base64'), randomBytes(32).toString('base64')];
    expect(parseKeyList(`k1:${a}, k0:${b}`).map((k) => k.id)).toEqual(['k1', 'k0']);
    expect(() => parseKeyList(a)).toThrow('id:base64');
  });
});
