/**
 * The functions framework runs every request inside a `node:domain`, so that an error
 * thrown from a callback still answers that request. While a domain is active, Node's
 * domain hook tags every promise and async resource created (pairing it with the
 * domain and defining a `domain` property on it): in processEvent that measured more
 * CPU per push than our own code. Our handlers settle every failure through the
 * promise they return (the framework answers a rejection with 500, which Pub/Sub
 * redelivers), so they leave the request's domain before doing any work. An exception
 * that would escape anyway reaches the framework's process-level handler, which answers
 * the latest request with 500 and restarts the instance.
 */
export function outsideRequestDomain<Args extends unknown[], Result>(
  handler: (...args: Args) => Result | Promise<Result>,
): (...args: Args) => Promise<Result> {
  return async (...args) => {
    (process as NodeJS.Process & WithDomain).domain?.exit();
    return handler(...args);
  };
}

/** Set by node:domain while a domain is active; @types/node leaves it out. */
type WithDomain = { domain?: { exit(): void } | null };
