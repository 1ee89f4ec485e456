import type { ChatChunk, ChatCompletion, ChatRequest, EmbeddingsRequest, EmbeddingsResponse } from '../contract/openai.js';
import type { CallContext, FailureKind, Logger, UpstreamFailure } from '../contract/provider.js';
import { peekChunk, type RawJson } from '../canonical/raw.js';
import { CompletionFolder } from '../canonical/fold.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { RouteTarget } from '../config/types.js';
import type { ModelRouter, Route } from '../routing/router.js';
import type { ProviderHandle, ProviderRegistry } from '../routing/provider-registry.js';
import { UpstreamError } from '../upstream/upstream-error.js';
import type { Exchange } from './exchange.js';
import { failureToError, toFailure } from './failure.js';

/** A stream whose first chunk has arrived: from here on it is committed to this target. */
export interface OpenStream {
  first: ChatChunk;
  rest: AsyncIterator<ChatChunk>;
  handle: ProviderHandle;
  target: RouteTarget;
}

/** What a finished attempt reports, for the access log. */
export interface Served<T> {
  value: T;
  handle: ProviderHandle;
  target: RouteTarget;
}

type Op<T> = (handle: ProviderHandle, request: ChatRequest & EmbeddingsRequest, call: CallContext) => Promise<T>;

/**
 * Runs a request over its route: each target in order, each with a credential and the exchange's
 * timeouts, until one answers. Failover is invisible to the client because nothing is written
 * before a target has produced its first chunk (or its whole answer). Failures are classified by
 * the provider; the client's own mistakes (`request_invalid`) end the search at once.
 */
export class Dispatcher {
  constructor(
    private readonly router: ModelRouter,
    private readonly registry: ProviderRegistry,
    private readonly log: Logger,
  ) {}

  /** Open a chat stream and pull its first chunk. */
  async openChat(request: ChatRequest, ex: Exchange): Promise<OpenStream> {
    const served = await this.#run(request, ex, async (h, req, call) => {
      const rest = h.instance.chat(req, call)[Symbol.asyncIterator]();
      const first = await rest.next();
      if (first.done) throw UpstreamError.malformed('the upstream stream ended before its first chunk');
      // Parse the first chunk now, while a broken one can still fail over (the responder reads it).
      peekChunk(first.value);
      ex.firstChunk();
      return { first: first.value, rest };
    });
    return { ...served.value, handle: served.handle, target: served.target };
  }

  /**
   * A whole completion: the provider's own non-streaming answer when it has one, else its stream
   * folded. Nothing reaches the client before the end, so even a failure mid-stream fails over.
   */
  complete(request: ChatRequest, ex: Exchange): Promise<Served<ChatCompletion | RawJson<ChatCompletion>>> {
    return this.#run(request, ex, (h, req, call) => (h.instance.complete ? h.instance.complete(req, call) : fold(h, req, call, ex)));
  }

  embeddings(request: EmbeddingsRequest, ex: Exchange): Promise<Served<EmbeddingsResponse | RawJson<EmbeddingsResponse>>> {
    return this.#run(request as ChatRequest & EmbeddingsRequest, ex, async (h, req, call) => {
      if (!h.instance.embeddings) {
        throw new GatewayError('SWB_ERR_UNSUPPORTED_OPERATION', `provider "${h.id}" does not serve embeddings (model ${req.model})`, { param: 'model' });
      }
      return h.instance.embeddings(req, call);
    });
  }

  /** Map a failure after the first byte to the error event a stream ends with. */
  streamError(err: unknown, stream: OpenStream, ex: Exchange): GatewayError {
    if (err instanceof GatewayError) return err;
    const failure = toFailure(err, stream.target.model, ex);
    return failureToError(stream.handle.classify(failure), failure, stream.handle.id, stream.handle.secrets);
  }

  async #run<T>(request: ChatRequest | EmbeddingsRequest, ex: Exchange, op: Op<T>): Promise<Served<T>> {
    const resolved = this.router.resolve(request.model);
    // aliases and provider/model resolve synchronously: no microtask for them
    const route: Route = resolved instanceof Promise ? await resolved : resolved;
    let last: { kind: FailureKind; failure: UpstreamFailure; handle: ProviderHandle } | undefined;
    // Providers may set top-level fields of the request they get; with fallbacks to try, each
    // attempt gets its own shallow copy of the original. A lone target needs no copy.
    const pristine = route.targets.length > 1 ? { ...request } : undefined;
    let attempt = 0;
    for (const target of route.targets) {
      const handle = this.registry.get(target.provider);
      if (!handle) continue;
      const signal = ex.beginAttempt(handle.config.timeouts);
      const call: CallContext = {
        providerId: handle.id,
        model: target.model,
        credential: handle.credentials.next(),
        signal,
        timeouts: handle.config.timeouts,
        log: handle.log,
      };
      const req = (pristine && attempt > 0 ? { ...pristine } : request) as ChatRequest & EmbeddingsRequest;
      req.model = target.model;
      attempt++;
      try {
        const value = await op(handle, req, call);
        return { value, handle, target };
      } catch (err) {
        if (err instanceof GatewayError) throw err;
        if (ex.clientGone) throw err;
        const failure = toFailure(err, target.model, ex);
        const kind = handle.classify(failure);
        this.log.warn(
          { reqId: ex.reqId, provider: handle.id, model: target.model, credential: call.credential?.id, kind, status: failure.status, code: failure.code, timeout: failure.timeout },
          'upstream attempt failed',
        );
        if (kind === 'request_invalid') throw failureToError(kind, failure, handle.id, handle.secrets);
        last = { kind, failure, handle };
        if (ex.expired) break;
      }
    }
    if (last) throw failureToError(last.kind, last.failure, last.handle.id, last.handle.secrets);
    throw new GatewayError('SWB_ERR_NO_UPSTREAM', `No enabled provider can serve model '${route.model}'.`, { param: 'model' });
  }
}

/** A provider's stream folded into one completion, for providers without `complete`. */
async function fold(h: ProviderHandle, req: ChatRequest, call: CallContext, ex: Exchange): Promise<ChatCompletion> {
  const folder = new CompletionFolder();
  let first = true;
  for await (const chunk of h.instance.chat(req, call)) {
    if (first) {
      ex.firstChunk();
      first = false;
    } else ex.lastChunkAt = Date.now();
    folder.add(chunk);
  }
  if (first) throw UpstreamError.malformed('the upstream stream ended without a chunk');
  return folder.result();
}
