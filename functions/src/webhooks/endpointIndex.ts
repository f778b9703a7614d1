import type { EndpointRoute } from './endpoint.ts';
import { wantsEventType } from './matchesEventType.ts';

/** Which endpoints want an event: what `processEvent` asks before fanning out. */
export interface WebhookRouter {
  matching(eventType: string, producer?: string): Promise<string[]>;
}

/**
 * The endpoints' event types, read at most once per `ttlMs` per instance and shared
 * by every event processed meanwhile, so fan-out costs no read per event. Concurrent
 * callers share one read; a failed read is not cached (the event is retried).
 */
export class CachedWebhookRouter implements WebhookRouter {
  readonly #load: () => Promise<EndpointRoute[]>;
  readonly #ttlMs: number;
  readonly #clock: () => number;
  #routes: { value: EndpointRoute[]; at: number } | undefined;
  #loading: Promise<EndpointRoute[]> | undefined;

  constructor(
    load: () => Promise<EndpointRoute[]>,
    options: { ttlMs: number; clock?: () => number },
  ) {
    this.#load = load;
    this.#ttlMs = options.ttlMs;
    this.#clock = options.clock ?? Date.now;
  }

  async matching(eventType: string, producer?: string): Promise<string[]> {
    const routes = await this.#current();
    return routes
      .filter(
        (route) =>
          wantsEventType(route.eventTypes, eventType) &&
          (!route.producers || (producer !== undefined && route.producers.includes(producer))),
      )
      .map((r) => r.id);
  }

  async #current(): Promise<EndpointRoute[]> {
    if (this.#routes && this.#clock() - this.#routes.at < this.#ttlMs) return this.#routes.value;
    this.#loading ??= this.#load()
      .then((value) => {
        this.#routes = { value, at: this.#clock() };
        return value;
      })
      .finally(() => {
        this.#loading = undefined;
      });
    return this.#loading;
  }
}
