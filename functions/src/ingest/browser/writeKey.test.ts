import { describe, expect, it } from 'vitest';
import { keyOfAuthorization } from '../authenticateKey.ts';
import { readWriteKey, type WriteKeyInput } from './writeKey.ts';

const basic = (user: string) => `Basic ${Buffer.from(`${user}:`).toString('base64')}`;
const none: WriteKeyInput = { authorization: undefined, query: undefined, body: undefined };

describe('readWriteKey', () => {
  it.each<[string, Partial<WriteKeyInput>, unknown]>([
    ['nothing', {}, { kind: 'none' }],
    [
      'Basic',
      { authorization: basic('k1') },
      { kind: 'found', key: 'k1', places: ['Authorization'] },
    ],
    ['Bearer', { authorization: 'Bearer k1' }, { kind: 'found', key: 'k1' }],
    ['the query', { query: 'k1' }, { kind: 'found', key: 'k1', places: ['query writeKey'] }],
    [
      'the body',
      { body: { writeKey: 'k1' } },
      { kind: 'found', key: 'k1', places: ['body writeKey'] },
    ],
    [
      'the same key in the header and the body',
      { authorization: basic('k1'), body: { writeKey: 'k1' } },
      { kind: 'found', key: 'k1', places: ['Authorization', 'body writeKey'] },
    ],
    [
      'different keys in the header and the body',
      { authorization: basic('k1'), body: { writeKey: 'k2' } },
      { kind: 'conflict', places: ['Authorization', 'body writeKey'] },
    ],
    [
      'different keys in the query and the body',
      { query: 'k1', body: { writeKey: 'k2' } },
      { kind: 'conflict', places: ['query writeKey', 'body writeKey'] },
    ],
    [
      'the same key thrice, a different one in the body',
      { authorization: 'Bearer k1', query: 'k1', body: { writeKey: 'k3' } },
      { kind: 'conflict', places: ['Authorization', 'body writeKey'] },
    ],
    [
      'a repeated query key',
      { query: ['k1', 'k1'] },
      { kind: 'unreadable', place: 'query writeKey' },
    ],
    ['an empty query key', { query: '' }, { kind: 'unreadable', place: 'query writeKey' }],
    [
      'a number in the body',
      { body: { writeKey: 5 } },
      { kind: 'unreadable', place: 'body writeKey' },
    ],
    [
      'an unreadable header',
      { authorization: 'Digest x' },
      { kind: 'unreadable', place: 'Authorization' },
    ],
    ['a body that is a list', { body: [{ writeKey: 'k1' }] }, { kind: 'none' }],
    ['a body that is text', { body: 'writeKey' }, { kind: 'none' }],
  ])('%s', (_, input, expected) => {
    expect(readWriteKey({ ...none, ...input })).toMatchObject(expected as object);
  });
});

describe('keyOfAuthorization', () => {
  it.each([
    [basic('trb_x'), 'trb_x'],
    [`Basic ${Buffer.from('trb_x:secret').toString('base64')}`, 'trb_x'],
    [`Basic ${Buffer.from('trb_x').toString('base64')}`, 'trb_x'],
    ['bearer trb_y', 'trb_y'],
    [basic(''), undefined],
    ['Basic !!!', undefined],
    ['Bearer', undefined],
    ['trb_x', undefined],
  ])('%s → %s', (header, key) => {
    expect(keyOfAuthorization(header)).toBe(key);
  });
});
