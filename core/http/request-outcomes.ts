import type { FastifyRequest } from 'fastify';
import type { Logger } from '../contract/provider.js';
import type { Exchange } from '../dispatch/exchange.js';
import type { AccessEntry, AccessLog } from './access-log.js';

/** A finished request as its listeners see it: what its access line says. */
export type RequestOutcome = AccessEntry;

export type OutcomeListener = (outcome: RequestOutcome) => void;

const MAX_MODEL = 200;

export { CLIENT_CLOSED } from '../errors/registry.js';

/**
 * Where every served or failed model request is told once: the access log, and the listeners
 * extensions add (metrics, usage, the console's live tail). A listener runs on the request's
 * path, so it must be cheap and must not throw; one that throws is logged, not the request's fault.
 */
export class RequestOutcomes {
  readonly #listeners: OutcomeListener[] = [];
  /** Failures already told by the chat path, so the error hook does not tell them twice. */
  readonly #told = new WeakSet<FastifyRequest>();
  access: AccessLog | undefined;

  constructor(private readonly log: Logger) {}

  /** Call `listener` with every request's outcome from now on. */
  listen(listener: OutcomeListener): void {
    this.#listeners.push(listener);
  }

  report(o: RequestOutcome): void {
    this.access?.record(o);
    for (const l of this.#listeners) {
      try {
        l(o);
      } catch (err) {
        this.log.error({ err: (err as Error).message }, 'a request-outcome listener threw');
      }
    }
  }

  /**
   * A request that ended without an answer: refused, failed upstream, or left by its client
   * (`status` 499). `ex` names the provider and credential of the last attempt, when one was made.
   */
  failed(request: FastifyRequest, route: string, start: number, model: string, status: number, ex?: Exchange): void {
    if (this.#told.has(request)) return;
    this.#told.add(request);
    this.report({
      reqId: request.id,
      start,
      route,
      status,
      ms: Date.now() - start,
      model: model.length > MAX_MODEL ? model.slice(0, MAX_MODEL) : model, // a refused body's name may be anything
      provider: ex?.provider ?? '',
      credential: ex?.credential ?? '',
      stream: (request.body as { stream?: unknown } | undefined)?.stream === true,
      attempts: ex?.attempts ?? 0,
      client: request.client,
      ttfbMs: undefined,
    });
  }
}
