/** What happened when we tried to reach a receiver. */
export type SendResult =
  | { kind: 'response'; statusCode: number; latencyMs: number; excerpt: string }
  | {
      kind: 'error';
      code: 'timeout' | 'network' | 'unsafe_url';
      message: string;
      latencyMs: number;
    };

/**
 * What an attempt means for the delivery:
 * - `delivered`: the receiver took it (2xx);
 * - `retry`: try again later (5xx, 408, 409, 425, 429, timeouts, network errors);
 * - `failed`: trying again cannot help (other 4xx, a redirect, an address we refuse);
 * - `gone`: 410, the receiver asks us to stop: the endpoint is disabled at once.
 */
export type AttemptVerdict =
  | { kind: 'delivered' }
  | { kind: 'retry'; code: string; message: string }
  | { kind: 'failed'; code: string; message: string }
  | { kind: 'gone'; code: 'endpoint_gone'; message: string };

/** 4xx answers that mean "not now" rather than "never". */
const retriableClientErrors = new Set([408, 409, 425, 429]);

export function classifyResponse(result: SendResult): AttemptVerdict {
  if (result.kind === 'error') {
    if (result.code === 'unsafe_url') {
      return { kind: 'failed', code: 'unsafe_url', message: result.message };
    }
    return { kind: 'retry', code: result.code, message: result.message };
  }
  const status = result.statusCode;
  const message = `The receiver answered ${status}.`;
  if (status >= 200 && status < 300) return { kind: 'delivered' };
  if (status === 410) {
    return { kind: 'gone', code: 'endpoint_gone', message: `${message} The endpoint is disabled.` };
  }
  if (status >= 300 && status < 400) {
    return {
      kind: 'failed',
      code: 'redirect',
      message: `${message} Redirects are not followed; register the final URL.`,
    };
  }
  if (status >= 400 && status < 500 && !retriableClientErrors.has(status)) {
    return { kind: 'failed', code: `http_${status}`, message };
  }
  return { kind: 'retry', code: `http_${status}`, message };
}
