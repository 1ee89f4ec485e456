import type { ChatChunk, ChatCompletion, ChatRequest, EmbeddingsRequest, EmbeddingsResponse, ImageRequest, ImagesResponse } from '../contract/openai.js';
import type { FailureKind, Logger } from '../contract/provider.js';
import { peekChunk, type RawJson } from '../contract/raw.js';
import { nativeRequest } from '../contract/native.js';
import { CompletionFolder } from '../canonical/fold.js';
import { usageOf, type TokenUsage } from '../canonical/usage.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { RouteTarget } from '../config/types.js';
import { PoolExhausted } from '../pool/exhausted.js';
import type { Lease } from '../pool/lease.js';
import type { Clock } from '../state/clock.js';
import { modelNotFound, type ModelRouter, type Route } from '../routing/router.js';
import type { ProviderHandle, ProviderRegistry } from '../providers/registry.js';
import { UpstreamError } from '../upstream/upstream-error.js';
import { AttemptFailed } from '../resilience/attempt-failed.js';
import { settleFailedAttempt } from './attempt-outcome.js';
import { Blockage } from './blockage.js';
import { Call } from './call.js';
import type { Exchange } from './exchange.js';
import { failureToError, ownFaultError, toFailure } from './failure.js';
import { CircuitOpen, ProviderBusy } from '../resilience/policies.js';
import { CommittedStream } from './committed-stream.js';

/** What a finished attempt reports, for the access log. */
export interface Answer<T> {
  value: T;
  handle: ProviderHandle;
  target: RouteTarget;
  /** The credential that served it, masked (or its name). */
  credential: string;
  /** The answer's token counts, when the upstream reported them (read once, for the pool and the log). */
  usage?: TokenUsage;
}

/** An attempt's result inside dispatch: the lease stays with it until it is settled. */
interface Served<T> extends Answer<T> {
  lease: Lease;
}

/** What a request to route has in common: the model it names. */
type Routed = { model: string };
type Op<R, T> = (handle: ProviderHandle, request: R, call: Call) => Promise<T>;

/** Times one request waits for a cooling credential (`pool.waitForCooldownMs`) before giving up. */
const MAX_WAIT_ROUNDS = 3;

/** Failures that are the credential's, not the upstream's: rotate at once, no retry budget spent. */
const CREDENTIAL_FAULTS: ReadonlySet<FailureKind> = new Set(['rate_limited', 'quota_exhausted', 'credential_invalid', 'credential_model_denied']);

/**
 * Runs a request over its route: each target in order, through that provider's policies (bulkhead,
 * retry, breakers), each attempt on a credential leased from the provider's pool, until one
 * answers. Failover is invisible to the client because nothing is written before a target has
 * produced its first chunk (or its whole answer). Failures are classified by the provider and fed
 * back to the pool; the client's own mistakes (`request_invalid`) end the search at once.
 */
export class Dispatcher {
  constructor(
    private readonly router: ModelRouter,
    private readonly registry: ProviderRegistry,
    private readonly log: Logger,
    private readonly clock: Clock,
  ) {}

  /**
   * Open a chat stream and pull its first chunk (failing over until a target produces one). The
   * stream returned holds its credential until it ends and settles it itself.
   */
  async openChat(request: ChatRequest, ex: Exchange): Promise<CommittedStream> {
    // Not an async function: its promise and hop would come before every stream's first byte.
    const served = await this.#run(request, ex, false, (h, req, call) => {
      const rest = h.instance.chat(req, call)[Symbol.asyncIterator]();
      return rest.next().then((first) => {
        if (first.done) throw UpstreamError.malformed('the upstream stream ended before its first chunk');
        // Parse the first chunk now, while a broken one can still fail over (the stream reads it).
        peekChunk(first.value);
        ex.firstChunk();
        return { first: first.value, rest };
      });
    });
    const { first, rest } = served.value;
    return new CommittedStream(first, rest, served.handle, served.target, served.lease, ex, this.log);
  }

  /**
   * A whole completion: the provider's own non-streaming answer when it has one, else its stream
   * folded. Nothing reaches the client before the end, so even a failure mid-stream fails over.
   */
  complete(request: ChatRequest, ex: Exchange): Promise<Answer<ChatCompletion | RawJson<ChatCompletion>>> {
    return this.#run(request, ex, true, (h, req, call) => (h.instance.complete ? h.instance.complete(req, call) : fold(h, req, call, ex)));
  }

  /** The upstream's own count of a request's input tokens, from the first target that counts (undefined: estimate). */
  countTokens(request: ChatRequest, ex: Exchange): Promise<Answer<number | undefined>> {
    return this.#run(request, ex, true, async (h, req, call) => (h.instance.countTokens ? h.instance.countTokens(req, call) : undefined));
  }

  /** Whether the first target of `model`'s route counts tokens itself (no route: no). */
  async countsTokens(model: string): Promise<boolean> {
    let route: Route;
    try {
      route = await this.router.resolve(model);
    } catch {
      return false;
    }
    const first = route.targets.map((t) => this.registry.get(t.provider)).find((h) => h !== undefined);
    return first?.instance.countTokens !== undefined;
  }

  embeddings(request: EmbeddingsRequest, ex: Exchange): Promise<Answer<EmbeddingsResponse | RawJson<EmbeddingsResponse>>> {
    return this.#run(request, ex, true, async (h, req, call) => {
      if (!h.instance.embeddings) {
        throw new GatewayError('SWB_ERR_UNSUPPORTED_OPERATION', `provider "${h.id}" does not serve embeddings (model ${req.model})`, { param: 'model' });
      }
      return h.instance.embeddings(req, call);
    });
  }

  images(request: ImageRequest, ex: Exchange): Promise<Answer<ImagesResponse>> {
    return this.#run(request, ex, true, async (h, req, call) => {
      if (!h.instance.images) {
        throw new GatewayError('SWB_ERR_UNSUPPORTED_OPERATION', `provider "${h.id}" does not generate images (model ${req.model})`, { param: 'model' });
      }
      return h.instance.images(req, call);
    });
  }

  async #run<R extends Routed, T>(request: R, ex: Exchange, settle: boolean, op: Op<R, T>): Promise<Served<T>> {
    const resolved = this.router.resolve(request.model);
    // aliases and provider/model resolve synchronously: no microtask for them
    const route: Route = resolved instanceof Promise ? await resolved : resolved;
    // Providers may set top-level fields of the request they get; with fallbacks to try, each
    // target gets its own shallow copy of the original. A lone target needs no copy.
    const pristine = route.targets.length > 1 ? { ...request } : undefined;
    for (let round = 0; ; round++) {
      let blocked: Blockage | undefined; // only a request that meets trouble pays for it
      let index = 0;
      for (const target of route.targets) {
        const handle = this.registry.get(target.provider);
        if (!handle) continue;
        const req = pristine && index++ > 0 ? { ...pristine } : request;
        const resolve = handle.instance.resolveModel;
        const model = resolve ? resolve.call(handle.instance, target.model) : target.model;
        const at = model === target.model ? target : { provider: target.provider, model };
        req.model = model;
        const native = nativeRequest(req as unknown as ChatRequest);
        // What the translation refused, only a provider that takes the client's own body can serve.
        if (native?.untranslatable && !handle.instance.dialects?.includes(native.dialect)) throw native.untranslatable;
        ex.tried?.clear(); // a target's retries avoid what failed on it; the next target starts afresh
        try {
          const served = await handle.policies.run(model, () => this.#attempts(handle, at, req, ex, op), holdLease, ex);
          if (settle) {
            served.usage = usageOf(served.value);
            served.lease.succeed(served.usage);
          }
          return served;
        } catch (thrown) {
          if (thrown instanceof GatewayError || ex.clientGone) throw thrown;
          const err = handle.policies.explain(thrown, model);
          blocked ??= new Blockage(route.model, this.clock);
          if (err instanceof PoolExhausted) blocked.exhausted(handle, err);
          else if (err instanceof CircuitOpen) blocked.circuit(handle, err);
          else if (err instanceof ProviderBusy) blocked.busy(handle);
          else if (err instanceof AttemptFailed) blocked.failed(handle, err);
          else throw err;
          if (ex.expired) break;
        }
      }
      blocked ??= new Blockage(route.model, this.clock); // no target could even be looked up
      // A few rounds at most: a credential that frees may be taken by another request first.
      const wait = round < MAX_WAIT_ROUNDS ? blocked.waitWithin(ex.remainingMs) : undefined;
      if (wait === undefined) throw blocked.toError();
      this.log.info({ reqId: ex.reqId, model: route.model, waitMs: wait }, 'every credential is cooling down: waiting for the first to free');
      await ex.sleep(wait);
    }
  }

  /**
   * One target's attempt, as the policies see it: lease a credential and call the provider;
   * rotate past credential faults inside it (they spend no retry budget), and throw the rest.
   * What failed is kept in `ex.tried` across the target's retries: a retry takes a credential
   * this request has not tried while there is one.
   */
  async #attempts<R extends Routed, T>(handle: ProviderHandle, target: RouteTarget, req: R, ex: Exchange, op: Op<R, T>): Promise<Served<T>> {
    let lastFault: PoolExhausted['lastFault'];
    for (;;) {
      // Nobody to answer: no lease, no upstream call (a retry may start after the client left).
      if (ex.clientGone) throw ex.reason;
      let lease: Lease;
      try {
        // The client's signal, not the last attempt's: a retry after a timeout may still queue.
        const got = handle.pool.acquire(target.model, ex, ex.tried);
        lease = got instanceof Promise ? await got : got;
      } catch (err) {
        if (err instanceof PoolExhausted) err.lastFault = lastFault;
        throw err;
      }
      const signal = ex.beginAttempt(handle.timeouts, handle.id, lease.entry.id);
      const call = new Call(handle.id, target.model, lease, signal, handle.timeouts, handle.log, ex);
      try {
        return { value: await op(handle, req, call), handle, target, lease, credential: lease.entry.id };
      } catch (thrown) {
        // An exception of our own making is nobody's failure: it ends the request as a 500.
        const err = ownFaultError(thrown, handle.id, target.model, handle.secrets) ?? thrown;
        if (err instanceof GatewayError || ex.clientGone) {
          lease.release();
          throw err;
        }
        const failure = toFailure(err, target.model, ex);
        const { verdict: v } = settleFailedAttempt(handle, lease, failure, this.clock.now());
        ex.endAttempt();
        if (v.advice) failure.advice = v.advice;
        this.log.warn(
          { reqId: ex.reqId, provider: handle.id, model: target.model, credential: lease.entry.id, kind: v.kind, status: failure.status, code: failure.code, timeout: failure.timeout, advice: v.advice },
          'upstream attempt failed',
        );
        if (v.kind === 'request_invalid') throw v.modelNotFound ? modelNotFound(req.model) : failureToError(v.kind, failure, handle.id, handle.secrets);
        if (CREDENTIAL_FAULTS.has(v.kind) && !ex.expired) {
          lastFault = { kind: v.kind, failure };
          (ex.tried ??= new Map()).set(lease.entry, 'fault');
          continue;
        }
        if (v.kind === 'transient') (ex.tried ??= new Map()).set(lease.entry, 'failed');
        throw new AttemptFailed(v.kind, failure, ex.expired);
      }
    }
  }
}

const holdLease = (served: Served<unknown>): Promise<void> => served.lease.whenSettled();

/** A provider's stream folded into one completion, for providers without `complete`. */
async function fold(h: ProviderHandle, req: ChatRequest, call: Call, ex: Exchange): Promise<ChatCompletion> {
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
