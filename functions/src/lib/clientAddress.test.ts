import { describe, expect, it } from 'vitest';
import type { Request } from '@google-cloud/functions-framework';
import { addressBucket, clientAddressBucket, clientIp } from './clientAddress.ts';

describe('addressBucket', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2:ffff::1', '2001:db8:1:2::/64'],
    ['2001:db8:1:3::1', '2001:db8:1:3::/64'],
    ['::1', '0:0:0:0::/64'],
    ['unknown', 'unknown'],
  ])('%s → %s', (address, bucket) => {
    expect(addressBucket(address)).toBe(bucket);
  });
});

function request(forwarded: string | string[] | undefined, remote = '10.0.0.9'): Request {
  return { headers: { 'x-forwarded-for': forwarded }, socket: { remoteAddress: remote } } as never;
}

describe('clientIp', () => {
  it.each([
    [
      'the last X-Forwarded-For entry, the one the front end added',
      '1.1.1.1, 203.0.113.7',
      '203.0.113.7',
    ],
    ['a header sent twice, read as one list', ['1.1.1.1', '203.0.113.8 '], '203.0.113.8'],
    ['the socket without the header', undefined, '10.0.0.9'],
    ['the socket when the header is empty', ' , ', '10.0.0.9'],
  ])('%s', (_, forwarded, address) => {
    expect(clientIp(request(forwarded))).toBe(address);
  });

  it('buckets an IPv6 caller by its /64', () => {
    expect(clientAddressBucket(request('2001:db8:1:2:3:4:5:6'))).toBe('2001:db8:1:2::/64');
  });
});
