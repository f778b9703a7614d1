import { describe, expect, it } from 'vitest';
import {
  checkUrlShape,
  classifyAddress,
  isAllowedAddress,
  resolveDestination,
  type Resolve,
} from './urlSafety.ts';

const production = { requireHttps: true, allowLoopback: false };
const local = { requireHttps: false, allowLoopback: true };

describe('classifyAddress', () => {
  it.each([
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.254', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['169.254.0.1', 'link_local'],
    ['169.254.169.254', 'metadata'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['fe80::1', 'link_local'],
    ['febf::1', 'link_local'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:7f00:1', 'loopback'],
    ['224.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['64:ff9b::a00:1', 'reserved'],
    ['2002:a00:1::', 'reserved'],
    ['not an address', 'reserved'],
    ['8.8.8.8', 'public'],
    ['172.32.0.1', 'public'],
    ['172.15.255.255', 'public'],
    ['192.169.0.1', 'public'],
    ['2607:f8b0:4004:c1b::65', 'public'],
  ])('%s is %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });

  it('allows loopback only when local development asks for it', () => {
    expect(isAllowedAddress('127.0.0.1', production)).toBe(false);
    expect(isAllowedAddress('127.0.0.1', local)).toBe(true);
    expect(isAllowedAddress('::1', local)).toBe(true);
    expect(isAllowedAddress('10.0.0.1', local)).toBe(false);
    expect(isAllowedAddress('169.254.169.254', local)).toBe(false);
    expect(isAllowedAddress('8.8.8.8', production)).toBe(true);
  });
});

describe('checkUrlShape', () => {
  it.each([
    ['http://hooks.example.com/x', production, 'must use https'],
    ['ftp://hooks.example.com/x', local, 'must use http or https'],
    ['hooks.example.com/x', production, 'absolute URL'],
    ['https://user:pw@hooks.example.com/', production, 'credentials'],
    ['https://hooks.example.com/#x', production, 'fragment'],
    ['https://metadata.google.internal/computeMetadata/v1/', production, 'metadata server'],
    ['http://METADATA.google.internal./', local, 'metadata server'],
    ['https://169.254.169.254/latest', production, 'metadata'],
    ['https://10.1.2.3/hook', production, 'private'],
    ['https://[::1]/hook', production, 'loopback'],
    ['https://[fe80::1]/hook', production, 'link-local'],
    ['https://[::ffff:192.168.0.1]/', production, 'private'],
    ['https://0.0.0.0/', production, 'unspecified'],
    ['https://0x7f.1/', production, 'loopback'],
    ['https://2130706433/', production, 'loopback'],
    [`https://example.com/${'a'.repeat(2048)}`, production, 'at most'],
  ])('refuses %s', (url, policy, message) => {
    const check = checkUrlShape(url, policy);
    expect(check.ok).toBe(false);
    expect(check).toMatchObject({ message: expect.stringContaining(message) as string });
  });

  it.each([
    ['https://hooks.example.com/tributary?x=1', production],
    ['https://8.8.8.8/', production],
    ['http://127.0.0.1:8080/hook', local],
    ['http://[::1]:8080/hook', local],
  ])('accepts %s', (url, policy) => {
    expect(checkUrlShape(url, policy).ok).toBe(true);
  });
});

const resolver =
  (table: Record<string, string[]>): Resolve =>
  (host) => {
    const addresses = table[host];
    if (!addresses) return Promise.reject(new Error('ENOTFOUND'));
    return Promise.resolve(
      addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
    );
  };
const never: Resolve = () => Promise.reject(new Error('should not resolve'));

describe('resolveDestination', () => {
  const dns = resolver({
    'hooks.example.com': ['93.184.216.34', '2606:2800:220:1::1'],
    'sneaky.example.com': ['93.184.216.34', '10.0.0.5'],
    'metadata.example.com': ['169.254.169.254'],
    'mapped.example.com': ['::ffff:10.0.0.1'],
    'local.example.com': ['127.0.0.1'],
    'empty.example.com': [],
  });

  it('connects to the first checked address of a public host', async () => {
    expect(await resolveDestination('https://hooks.example.com/x', production, dns)).toMatchObject({
      ok: true,
      address: '93.184.216.34',
      family: 4,
    });
  });

  it.each([
    ['https://sneaky.example.com/x', '10.0.0.5'],
    ['https://metadata.example.com/x', '169.254.169.254'],
    ['https://mapped.example.com/x', '::ffff:10.0.0.1'],
    ['https://local.example.com/x', '127.0.0.1'],
  ])('refuses %s: one resolved address is %s', async (url, address) => {
    const destination = await resolveDestination(url, production, dns);
    expect(destination).toMatchObject({ ok: false, reason: 'unsafe' });
    expect(destination).toMatchObject({ message: expect.stringContaining(address) as string });
  });

  it('allows a loopback host only with the local-development setting', async () => {
    expect(await resolveDestination('http://local.example.com/x', local, dns)).toMatchObject({
      ok: true,
      address: '127.0.0.1',
    });
  });

  it('an unknown host is unresolved, not unsafe (a DNS failure may pass)', async () => {
    for (const url of ['https://nowhere.example.com/', 'https://empty.example.com/']) {
      expect(await resolveDestination(url, production, dns)).toMatchObject({
        ok: false,
        reason: 'unresolved',
      });
    }
  });

  it('does not resolve an address literal', async () => {
    expect(await resolveDestination('http://127.0.0.1:9/x', local, never)).toMatchObject({
      ok: true,
      address: '127.0.0.1',
    });
  });
});
