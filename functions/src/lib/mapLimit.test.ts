import { describe, expect, it } from 'vitest';
import { mapLimit } from './mapLimit.ts';

describe('mapLimit', () => {
  it.each([
    [0, 3],
    [1, 3],
    [7, 3],
    [7, 10],
  ])('maps %i items at most %i at a time, keeping their order', async (count, limit) => {
    let running = 0;
    let most = 0;
    const items = Array.from({ length: count }, (_, i) => i);
    const results = await mapLimit(items, limit, async (item, index) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, (count - item) % 3));
      running -= 1;
      return item * 10 + index;
    });
    expect(results).toEqual(items.map((i) => i * 11));
    expect(most).toBeLessThanOrEqual(limit);
  });
});
