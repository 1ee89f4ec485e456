import { GatewayError } from '../errors/gateway-error.js';
import type { PoolExhausted } from '../pool/exhausted.js';
import type { ProviderHandle } from '../providers/registry.js';
import type { Clock } from '../state/clock.js';
import type { AttemptFailed } from '../resilience/attempt-failed.js';
import { describeFailure, failureToError } from './failure.js';
import type { CircuitOpen } from '../resilience/policies.js';

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/**
 * Why no target of a route could serve one request, gathered target by target, and the one error
 * the client gets for it: the last upstream failure if there was one; else 429 with Retry-After
 * when every credential is cooling down; else 503 for open breakers, a full bulkhead, or
 * credentials that will not free by themselves. With several targets the message names each
 * one's reason, in route order, whichever error it is.
 */
export class Blockage {
  #exhausted: { handle: ProviderHandle; err: PoolExhausted }[] = [];
  #circuits: { handle: ProviderHandle; err: CircuitOpen }[] = [];
  #busy: ProviderHandle[] = [];
  #failed: { handle: ProviderHandle; err: AttemptFailed } | undefined;
  /** Each target's reason for people (`provider "a": 2 disabled (credential_invalid)`), in route order. */
  #why: string[] = [];

  constructor(
    /** The model as the client named it. */
    readonly model: string,
    private readonly clock: Clock,
  ) {}

  exhausted(handle: ProviderHandle, err: PoolExhausted): void {
    this.#exhausted.push({ handle, err });
    this.#why.push(`provider "${err.providerId}": ${err.summary}`);
  }

  circuit(handle: ProviderHandle, err: CircuitOpen): void {
    this.#circuits.push({ handle, err });
    this.#why.push(`provider "${handle.id}": ${err.scope === 'provider' ? 'provider-wide ' : ''}circuit breaker open (retry in ${seconds(err.retryInMs)}s)`);
  }

  busy(handle: ProviderHandle): void {
    this.#busy.push(handle);
    this.#why.push(`provider "${handle.id}": at its concurrency limit`);
  }

  failed(handle: ProviderHandle, err: AttemptFailed): void {
    this.#failed = { handle, err };
    this.#why.push(`provider "${handle.id}": ${describeFailure(err.failure, handle.secrets)}`);
  }

  /** Epoch ms when the first cooling credential frees, if any will by itself. */
  #freeAt(): number | undefined {
    let at: number | undefined;
    for (const { err } of this.#exhausted) if (err.freeAt !== undefined && (at === undefined || err.freeAt < at)) at = err.freeAt;
    return at;
  }

  /**
   * How long to wait for a cooling credential before trying the route again: only when cooldowns
   * are all that stood in the way and one ends within its provider's `waitForCooldownMs`.
   */
  waitWithin(remainingMs: number): number | undefined {
    if (this.#failed || this.#circuits.length || this.#busy.length || !this.#exhausted.length) return undefined;
    const now = this.clock.now();
    let best: number | undefined;
    for (const { handle, err } of this.#exhausted) {
      if (err.freeAt === undefined) continue;
      const wait = Math.max(1, err.freeAt - now);
      if (wait <= handle.pool.settings.waitForCooldownMs && wait < remainingMs && (best === undefined || wait < best)) best = wait;
    }
    return best;
  }

  toError(): GatewayError {
    if (this.#failed) {
      const { handle, err } = this.#failed;
      return this.#naming(failureToError(err.kind, err.failure, handle.id, handle.secrets));
    }
    const now = this.clock.now();
    const freeAt = this.#freeAt();
    const why = this.#why; // messages below that list it name every target already
    if (this.#circuits.length) {
      let retryMs = Math.min(...this.#circuits.map((c) => c.err.retryInMs));
      if (freeAt !== undefined) retryMs = Math.min(retryMs, freeAt - now);
      const s = seconds(retryMs);
      return this.#naming(new GatewayError('SWB_ERR_CIRCUIT_OPEN', `Circuit breaker open for model: ${this.model} (retry in ${s}s)`, { headers: { 'retry-after': String(s) } }));
    }
    if (this.#busy.length && !this.#exhausted.length) {
      const busy = new GatewayError('SWB_ERR_PROVIDER_BUSY', `Every provider for model '${this.model}' is at its concurrency limit (${this.#busy.map((h) => `"${h.id}"`).join(', ')}); retry shortly.`, {
        headers: { 'retry-after': '1' },
      });
      return this.#naming(busy);
    }
    if (freeAt !== undefined) {
      const s = seconds(freeAt - now);
      return new GatewayError('SWB_ERR_CREDENTIALS_EXHAUSTED', `Every credential for model '${this.model}' is cooling down; the first frees in ${s}s. ${why.join('; ')}`, {
        headers: { 'retry-after': String(s) },
      });
    }
    // Pools that cannot serve for reasons of their own (no credentials; keyless and refused) say why.
    const own = this.#exhausted.flatMap((x) => (x.err.error ? [x.err.error] : []));
    if (own.length && own.length === this.#exhausted.length) {
      return own.length === 1 ? own[0] : new GatewayError(own.every((e) => e.id === own[0].id) ? own[0].id : 'SWB_ERR_NO_UPSTREAM', own.map((e) => e.message).join(' '));
    }
    // Nothing will free by itself: the upstream's own words on the last credential say most.
    const fault = this.#exhausted.findLast((x) => x.err.lastFault);
    if (fault?.err.lastFault) return this.#naming(failureToError(fault.err.lastFault.kind, fault.err.lastFault.failure, fault.handle.id, fault.handle.secrets));
    if (this.#exhausted.length && this.#exhausted.every((x) => x.err.deniedOnly)) {
      return new GatewayError('SWB_ERR_MODEL_ACCESS_DENIED', `None of the credentials may use model '${this.model}': ${why.join('; ')}`, { param: 'model' });
    }
    if (why.length) return new GatewayError('SWB_ERR_NO_UPSTREAM', `No credential can serve model '${this.model}': ${why.join('; ')}`, { param: 'model' });
    return new GatewayError('SWB_ERR_NO_UPSTREAM', `No enabled provider can serve model '${this.model}'.`, { param: 'model' });
  }

  /** One target's error, told of every target when there were several (the status stays the chosen one's). */
  #naming(e: GatewayError): GatewayError {
    if (this.#why.length < 2) return e;
    const said = e.message.trimEnd();
    return new GatewayError(e.id, `${said}${said.endsWith('.') ? '' : '.'} Every target: ${this.#why.join('; ')}.`, { status: e.status, type: e.type, code: e.code, param: e.param, headers: e.headers, cause: e.cause });
  }
}
