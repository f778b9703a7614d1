import { describe, expect, it } from 'vitest';
import { allowedOriginProblem, allowedOriginsSchema, originAllowed } from './allowedOrigins.ts';

describe('allowed origins', () => {
  it.each([
    ['https://shop.example', undefined],
    ['http://localhost:3000', undefined],
    ['http://127.0.0.1:8080', undefined],
    ['https://*.shop.example', undefined],
    ['https://*.shop.example:8443', undefined],
    ['https://shop.example/', /without path, slash/],
    ['https://shop.example/path', /https:\/\/shop\.example$/],
    ['https://Shop.Example', /https:\/\/shop\.example$/],
    ['https://shop.example:443', /default port/],
    ['shop.example', /must be an origin/],
    ['ftp://shop.example', /http or https/],
    ['https://*.example', /two labels/],
    ['https://a.*.example.com', /first label/],
    ['https://*shop.example', /.+/],
    ['https://user@shop.example', /.+/],
    ['', /must be an origin/],
  ])('%s → %s', (value, problem) => {
    expect(allowedOriginProblem(value) ?? 'none').toMatch(problem ?? /^none$/);
  });

  it.each([
    [['https://shop.example'], 'https://shop.example', true],
    [['https://shop.example'], 'http://shop.example', false],
    [['https://shop.example'], 'https://shop.example:8443', false],
    [['https://shop.example'], 'https://www.shop.example', false],
    [['https://*.shop.example'], 'https://www.shop.example', true],
    [['https://*.shop.example'], 'https://a.b.shop.example', true],
    [['https://*.shop.example'], 'https://shop.example', false],
    [['https://*.shop.example'], 'https://evilshop.example', false],
    [['https://*.shop.example'], 'https://www.shop.example.evil.test', false],
    [['https://*.shop.example'], 'http://www.shop.example', false],
    [['https://*.shop.example'], 'https://www.shop.example:8443', false],
    [['https://*.shop.example:8443'], 'https://www.shop.example:8443', true],
    [['https://*.shop.example'], 'https://x/y.shop.example', false],
    [['https://shop.example', 'http://localhost:3000'], 'http://localhost:3000', true],
    [['https://shop.example'], 'null', false],
  ])('%j allows %s: %s', (patterns, origin, allowed) => {
    expect(originAllowed(patterns, origin)).toBe(allowed);
  });

  it.each([
    [[], false],
    [['https://a.example', 'https://a.example'], false],
    [Array.from({ length: 51 }, (_, i) => `https://s${i}.example`), false],
    [['https://a.example', 'https://*.b.example'], true],
  ])('the list %j is valid: %s', (origins, valid) => {
    expect(allowedOriginsSchema.safeParse(origins).success).toBe(valid);
  });
});
