import express from 'express';

const multipartType = Symbol.for('tributary.multipartContentType');

type Patchable = {
  handle: (req: unknown, res: unknown, callback?: (error?: unknown) => void) => void;
  __tributaryStreamingUploads?: boolean;
};

/**
 * The functions framework reads every request body into memory before our handler
 * runs (its last body parser accepts any media type, up to 1 GB). A CSV upload must
 * be streamed instead, so for `multipart/form-data` requests the content type is set
 * aside before the framework's parsers look at it: they skip a body whose type they
 * cannot see, and the handler reads the untouched stream with the type from
 * `multipartContentType`. Must run before the framework builds its server.
 */
export function installStreamingUploads(): void {
  const application = express.application as unknown as Patchable;
  if (application.__tributaryStreamingUploads) return;
  const originalHandle = application.handle;
  application.handle = function handle(this: unknown, req, res, callback) {
    const request = req as {
      headers: Record<string, string | string[] | undefined>;
      [multipartType]?: string;
    };
    const type = request.headers['content-type'];
    if (typeof type === 'string' && /^multipart\/form-data\s*(;|$)/i.test(type)) {
      request[multipartType] = type;
      delete request.headers['content-type'];
    }
    originalHandle.call(this, req, res, callback);
  };
  application.__tributaryStreamingUploads = true;
}

/** The content type of a multipart request whose body was left unread for streaming. */
export function multipartContentType(req: object): string | undefined {
  return (req as { [multipartType]?: string })[multipartType];
}
