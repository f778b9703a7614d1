import { describe, expect, it } from 'vitest';
import { nextPollMs } from './polling.ts';

describe('nextPollMs', () => {
  it('waits for most of the time the remaining events should take', () => {
    expect(nextPollMs(1_000, 200)).toBe(4_000);
  });

  it('waits two seconds before any rate is known', () => {
    expect(nextPollMs(1_000, 0)).toBe(2_000);
    expect(nextPollMs(1_000, Number.NaN)).toBe(2_000);
  });

  it('keeps between a quarter of a second and ten seconds', () => {
    expect(nextPollMs(1, 1_000)).toBe(250);
    expect(nextPollMs(100_000, 10)).toBe(10_000);
  });

  it('does not wait once nothing remains', () => {
    expect(nextPollMs(0, 200)).toBe(0);
  });
});
