import type { BeforeParsersHook } from './frameworkAdapter.ts';

const multipartType = Symbol.for('tributary.multipartContentType');

/**
 * The functions framework reads every request body into memory before our handler
 * runs (its last body parser accepts any media type, up to 1 GB). A CSV upload must
 * be streamed instead, so for `multipart/form-data` requests the content type is set
 * aside before the framework's parsers look at it: they skip a body whose type they
 * cannot see, and the handler reads the untouched stream with the type from
 * `multipartContentType`.
 */
export const setAsideMultipartBody: BeforeParsersHook = (req, _res, next) => {
  const type = req.headers['content-type'];
  if (typeof type === 'string' && /^multipart\/form-data\s*(;|$)/i.test(type)) {
    (req as { [multipartType]?: string })[multipartType] = type;
    delete req.headers['content-type'];
  }
  next();
};

/** The content type of a multipart request whose body was left unread for streaming. */
export function multipartContentType(req: object): string | undefined {
  return (req as { [multipartType]?: string })[multipartType];
}
