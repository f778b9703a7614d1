/**
 * Failures that cross a boundary carry whether trying again can help. Subscribers
 * throw only retriable errors (Pub/Sub redelivers); a permanent failure is recorded
 * and the message acknowledged.
 */
export class PipelineError extends Error {
  readonly retriable: boolean;
  readonly code: string;

  constructor(code: string, message: string, options: { retriable: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PipelineError';
    this.code = code;
    this.retriable = options.retriable;
  }
}

/** Pub/Sub did not acknowledge a publish in time, or refused it. */
export class PublishError extends PipelineError {
  readonly topic: string;

  constructor(topic: string, cause: unknown) {
    super('publish_failed', `Publishing to ${topic} failed: ${describe(cause)}`, {
      retriable: true,
      cause,
    });
    this.name = 'PublishError';
    this.topic = topic;
  }
}

export function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

// gRPC status codes that mean "the same call may succeed later".
const retriableGrpcCodes = new Set([1, 2, 4, 8, 10, 13, 14]);

/** Whether an error from a Google client library is worth retrying. */
export function isRetriable(error: unknown): boolean {
  if (error instanceof PipelineError) return error.retriable;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? retriableGrpcCodes.has(code) : true;
}
