/**
 * Readiness: a list of named checks, each run with a deadline. Another dependency (the
 * warehouse, say) is one more entry in the list the runtime builds.
 */
export type ReadinessCheck = { name: string; check: () => Promise<void> };

export type CheckResult = {
  name: string;
  status: 'up' | 'down';
  latencyMs: number;
  error?: string;
};

export type Readiness = { status: 'ready' | 'unavailable'; checks: CheckResult[] };

export async function checkReadiness(
  checks: readonly ReadinessCheck[],
  timeoutMs: number,
  clock: () => number = () => performance.now(),
): Promise<Readiness> {
  const results = await Promise.all(
    checks.map(async ({ name, check }): Promise<CheckResult> => {
      const started = clock();
      try {
        await withDeadline(check(), timeoutMs);
        return { name, status: 'up', latencyMs: Math.round(clock() - started) };
      } catch (error) {
        return {
          name,
          status: 'down',
          latencyMs: Math.round(clock() - started),
          error: error instanceof Error ? error.message.split('\n')[0]!.slice(0, 300) : 'failed',
        };
      }
    }),
  );
  return {
    status: results.every((r) => r.status === 'up') ? 'ready' : 'unavailable',
    checks: results,
  };
}

async function withDeadline(promise: Promise<void>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  // A check that fails after the deadline must not surface as an unhandled rejection.
  promise.catch(() => undefined);
  try {
    await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
