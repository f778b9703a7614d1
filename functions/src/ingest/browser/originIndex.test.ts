import { describe, expect, it } from 'vitest';
import { BrowserOriginIndex } from './originIndex.ts';

describe('BrowserOriginIndex', () => {
  it('reads the key store once per window, answers from memory meanwhile', async () => {
    let now = 0;
    let reads = 0;
    let lists = [['https://shop.example'], ['https://*.blog.example']];
    const index = new BrowserOriginIndex(
      () => {
        reads += 1;
        return Promise.resolve(lists);
      },
      { ttlMs: 60_000, now: () => now },
    );
    const [first, second] = await Promise.all([
      index.allows('https://shop.example'),
      index.allows('https://www.blog.example'),
    ]);
    expect([first, second, reads]).toEqual([true, true, 1]);
    expect(index.allows('https://other.example')).toBe(false);
    lists = [['https://other.example']];
    now = 60_001;
    expect(await index.allows('https://other.example')).toBe(true);
    expect(index.allows('https://shop.example')).toBe(false);
    expect(reads).toBe(2);
  });

  it('a failed read is the caller’s error, and the next request reads again', async () => {
    let fail = true;
    const index = new BrowserOriginIndex(
      () => (fail ? Promise.reject(new Error('down')) : Promise.resolve([['https://a.example']])),
      { ttlMs: 1000 },
    );
    await expect(index.allows('https://a.example')).rejects.toThrow('down');
    fail = false;
    expect(await index.allows('https://a.example')).toBe(true);
  });
});
