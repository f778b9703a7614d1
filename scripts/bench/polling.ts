/**
 * How long the harness waits before it counts PROCESSED events again. The emulator
 * answers a count by scanning the collection (≈0.2 s of its CPU at 8,000 documents), so a
 * count every half second took CPU from the pipeline it was measuring. The rate and the
 * latencies come from the documents' own timestamps, so waiting longer changes no figure:
 * wait for most of the time the remaining events should take at the rate seen so far.
 */
export function nextPollMs(remaining: number, perSecondSoFar: number): number {
  if (remaining <= 0) return 0;
  if (!(perSecondSoFar > 0)) return firstPollMs;
  const expectedMs = (remaining / perSecondSoFar) * 1000;
  return Math.round(Math.min(maxPollMs, Math.max(minPollMs, expectedMs * 0.8)));
}

const firstPollMs = 2_000;
const minPollMs = 250;
const maxPollMs = 10_000;
