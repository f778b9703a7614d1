import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstInvalidUtf8Offset, loneSurrogatePath } from './utf8.ts';

const bytes = (...values: number[]) => Uint8Array.from(values);

describe('firstInvalidUtf8Offset', () => {
  it.each([
    ['ASCII', Buffer.from('{"a":"b"}'), -1],
    ['two-, three- and four-byte characters', Buffer.from('é€😀'), -1],
    ['a lone 0xC3 inside a string', Buffer.from([0x22, 0xc3, 0x22]), 1],
    ['0xFF', bytes(0x61, 0xff), 1],
    ['a stray continuation byte', bytes(0x80), 0],
    ['an overlong slash', bytes(0x61, 0x62, 0xc0, 0xaf), 2],
    ['an overlong three-byte form', bytes(0xe0, 0x80, 0xaf), 0],
    ['an encoded surrogate', bytes(0x61, 0xed, 0xa0, 0x80), 1],
    ['a code point past U+10FFFF', bytes(0xf4, 0x90, 0x80, 0x80), 0],
    ['a sequence cut at the end', bytes(0x61, 0xe2, 0x82), 1],
    ['Latin-1 é', Buffer.from('café', 'latin1'), 3],
  ])('%s → %i', (_, input, offset) => {
    expect(firstInvalidUtf8Offset(input)).toBe(offset);
  });

  it('agrees with node:buffer isUtf8 on any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (input) => {
        expect(firstInvalidUtf8Offset(input) === -1).toBe(isUtf8(input));
      }),
      { numRuns: 5000 },
    );
  });

  it('finds nothing wrong in any string encoded as UTF-8', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        expect(firstInvalidUtf8Offset(Buffer.from(text))).toBe(-1);
      }),
    );
  });
});

const path = (json: string) => loneSurrogatePath(Buffer.from(json), JSON.parse(json));

describe('loneSurrogatePath', () => {
  it.each([
    ['no escape at all', '{"payload":{"title":"Home"}}'],
    ['an escaped pair (an emoji)', '{"payload":{"title":"\\ud83d\\ude00"}}'],
    ['an escaped BMP character', '{"payload":{"title":"\\u00e9\\uFFFD"}}'],
    ['an escaped backslash before text that looks like an escape', '{"a":"\\\\ud800"}'],
  ])('finds nothing in %s', (_, json) => {
    expect(path(json)).toBeUndefined();
  });

  it.each([
    ['a lone high surrogate', '{"payload":{"title":"a\\ud800b"}}', 'payload.title'],
    ['a lone low surrogate in upper case', '{"payload":{"title":"\\uDC00"}}', 'payload.title'],
    ['a reversed pair', '{"x":"\\ude00\\ud83d"}', 'x'],
    ['a surrogate in an array item', '{"events":[{"p":"ok"},{"p":"\\ud800"}]}', 'events.1.p'],
    ['a surrogate in a key', '{"payload":{"\\ud800":1}}', 'payload.(key)'],
    ['a top-level string', '"\\udfff"', '(root)'],
    ['the first of two, in document order', '{"a":"\\ud800","b":"\\ud800"}', 'a'],
  ])('names %s', (_, json, expected) => {
    expect(path(json)).toBe(expected);
  });
});
