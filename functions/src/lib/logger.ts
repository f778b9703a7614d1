import { pino, type Logger } from 'pino';

export type { Logger };

// pino level → Cloud Logging severity.
const severityByLevel: Record<string, string> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

/**
 * A logger whose lines Cloud Logging understands: `severity`, `message`, and the trace
 * field that links a line to its request. Credentials never reach a log line: the
 * paths below are censored wherever they appear.
 */
export function createLogger(options: {
  level: string;
  destination?: pino.DestinationStream;
}): Logger {
  return pino(
    {
      level: options.level,
      messageKey: 'message',
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ severity: severityByLevel[label] ?? 'DEFAULT' }),
      },
      redact: {
        paths: [
          'authorization',
          'apiKey',
          'adminToken',
          'secret',
          'password',
          'payload',
          '*.authorization',
          '*.apiKey',
          '*.adminToken',
          '*.secret',
          '*.payload',
          'headers.authorization',
          'req.headers.authorization',
          // Workspace source credentials, should any reach a log call.
          'credentials',
          '*.credentials',
          'clientSecret',
          'refreshToken',
          'privateKey',
          'private_key',
          '*.clientSecret',
          '*.refreshToken',
          '*.privateKey',
          '*.private_key',
        ],
        censor: '[redacted]',
      },
      serializers: { err: pino.stdSerializers.err },
    },
    options.destination,
  );
}

/**
 * The trace id from `X-Cloud-Trace-Context: TRACE_ID/SPAN_ID;o=1` (or W3C
 * `traceparent`), in the form Cloud Logging correlates on.
 */
export function traceFields(
  headers: Record<string, string | string[] | undefined>,
  projectId: string,
): Record<string, string> {
  const cloud = headerValue(headers['x-cloud-trace-context']);
  const w3c = headerValue(headers['traceparent']);
  const traceId = cloud?.split('/')[0] ?? w3c?.split('-')[1];
  if (!traceId || !/^[0-9a-f]{1,32}$/i.test(traceId)) return {};
  return { 'logging.googleapis.com/trace': `projects/${projectId}/traces/${traceId}` };
}

export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
