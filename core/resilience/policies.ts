import {
  BrokenCircuitError,
  BulkheadPolicy,
  BulkheadRejectedError,
  CircuitBreakerPolicy,
  CircuitState,
  ConstantBackoff,
  ConsecutiveBreaker,
  SamplingBreaker,
  bulkhead,
  halfJitterGenerator,
  circuitBreaker,
  handleWhen,
  retry,
  type IExponentialBackoffOptions,
  type RetryPolicy,
} from 'cockatiel';
import { LRUCache } from 'lru-cache';
import { CallSignal } from '../contract/call-signal.js';
import { AttemptFailed } from './attempt-failed.js';
import { pause } from './pause.js';
import type { ResilienceSettings } from './settings.js';

/** A breaker is open: this target cannot serve for now. */
export class CircuitOpen extends Error {
  constructor(
    /** `model` for the per-model breaker, `provider` for the provider-wide one. */
    readonly scope: 'model' | 'provider',
    readonly retryInMs: number,
  ) {
    super(`circuit open (${scope}), retry in ${Math.ceil(retryInMs / 1000)}s`);
    this.name = 'CircuitOpen';
  }
}

/** The provider's bulkhead is full. */
export class ProviderBusy extends Error {
  constructor() {
    super('provider bulkhead full');
    this.name = 'ProviderBusy';
  }
}

interface Breaker {
  policy: CircuitBreakerPolicy;
  openedAt: number;
  /** Held open because another instance's breaker opened (see holdOpen). */
  hold?: { dispose(): void };
  holdTimer?: NodeJS.Timeout;
}

/** One of this instance's own breakers opened (`openMs` > 0, for that long) or closed again (0). */
export type BreakerListener = (model: string, openMs: number) => void;

/** Given once, or cockatiel makes one per call. */
const NO_WAIT = new ConstantBackoff(0);

/** For callers without a client: a signal that never aborts. */
const NEVER = new CallSignal();

/**
 * cockatiel takes an AbortSignal but reads only `aborted` of it (retry: no new try once aborted;
 * bulkhead: a queued call is dropped); a CallSignal has that, without an AbortController's cost.
 */
const asAbortSignal = (s: CallSignal | undefined) => s as unknown as AbortSignal | undefined;

const isRetryable = (e: unknown) => e instanceof AttemptFailed && e.kind === 'transient' && !e.final;
const transient = handleWhen(isRetryable);
const countsAgainstModel = handleWhen((e) => e instanceof AttemptFailed && e.kind === 'transient');
const isGone = (e: unknown) => e instanceof AttemptFailed && e.kind === 'provider_gone';
const gone = handleWhen(isGone);

/**
 * The cockatiel policies of one provider: retry of transient failures with exponential backoff
 * and jitter, a circuit breaker per upstream model, a provider-wide breaker for `provider_gone`,
 * and an optional bulkhead. Timeouts are the exchange's (one timer per request, see
 * docs/architecture.md), not cockatiel's.
 */
export class ProviderPolicies {
  readonly #retry: RetryPolicy;
  /** Retries after the first attempt (`retry.attempts` - 1). */
  readonly #retries: number;
  readonly #backoff: IExponentialBackoffOptions<number>;
  #gone: Breaker;
  readonly #bulkhead: BulkheadPolicy | undefined;
  // Bounded: with provider/model addressing the client names the model.
  readonly #breakers = new LRUCache<string, Breaker>({ max: 1000 });

  constructor(readonly settings: ResilienceSettings) {
    const r = settings.retry;
    // No backoff of cockatiel's own: its wait cannot be cut short, ours ends when the client
    // leaves (see #guarded).
    this.#retries = Math.max(0, r.attempts - 1);
    this.#retry = retry(transient, { maxAttempts: this.#retries, backoff: NO_WAIT });
    // Half jitter: the n-th wait falls between half and all of initialDelay * 2^n (capped), so
    // retries spread out yet the documented delays stay true bounds.
    this.#backoff = { initialDelay: r.initialDelayMs, maxDelay: r.maxDelayMs, exponent: 2, generator: halfJitterGenerator };
    this.#gone = this.#goneBreaker();
    const b = settings.bulkhead;
    this.#bulkhead = b.maxConcurrent > 0 ? bulkhead(b.maxConcurrent, b.queue) : undefined;
  }

  /**
   * Run one target's attempts through the policies. An open breaker throws cockatiel's
   * BrokenCircuitError (`explain` names it), a full bulkhead a ProviderBusy.
   * `hold` keeps the bulkhead slot after `fn` answered, until the promise it returns settles: a
   * stream occupies its provider until it ends, not only until its first chunk.
   * `client` aborts when the client leaves: no retry starts after that, a pending backoff ends
   * at once (rejecting with its reason), and a call still queued for the bulkhead is dropped.
   */
  run<T>(model: string, fn: () => Promise<T>, hold?: (value: T) => Promise<void>, client?: CallSignal): Promise<T> {
    const bulkhead = this.#bulkhead;
    if (!bulkhead) return this.#guarded(model, fn, client); // the caller explains an open breaker
    return new Promise<T>((resolve, reject) => {
      bulkhead
        .execute(async () => {
          let value: T;
          try {
            value = await this.#guarded(model, fn, client);
          } catch (err) {
            reject(this.explain(err, model));
            return;
          }
          resolve(value);
          if (hold) await hold(value);
        }, asAbortSignal(client))
        .catch((err: unknown) => reject(err instanceof BulkheadRejectedError ? new ProviderBusy() : err));
    });
  }

  #guarded<T>(model: string, fn: () => Promise<T>, client: CallSignal | undefined): Promise<T> {
    const breaker = this.#breaker(model);
    // Every promise hop here is paid before a stream's first byte. An open breaker throws
    // cockatiel's BrokenCircuitError; `explain` says which and for how long.
    // The first attempt runs outside the retry policy, whose execute costs a few promises and
    // objects per call. Only a failure it would retry enters it, as its attempt 0 (the failure in
    // hand), and from there cockatiel decides as if it had run that attempt itself: whether to
    // retry, how often, and never once the client has left.
    return this.#once(breaker, fn).catch((first: unknown) => {
      if (isGone(first)) return this.#toldIfGone(first);
      if (!isRetryable(first) || this.#retries === 0) throw first;
      return this.#retry
        .execute(({ attempt }) => {
          if (attempt === 0) return Promise.reject(first);
          // A retry: back off first. Should the client leave meanwhile, the wait rejects at once and
          // neither breaker sees the attempt (a half-open one would take the abort for a success).
          const [ms] = halfJitterGenerator(attempt - 1, this.#backoff);
          return pause(ms, client ?? NEVER).then(() => this.#once(breaker, fn));
        }, asAbortSignal(client))
        .catch(this.#toldIfGone);
    });
  }

  /**
   * One attempt through both breakers. While the provider-wide breaker is closed, which is nearly
   * always, the attempt skips its layer (cockatiel's execute costs a few promises and objects per
   * call); a `provider_gone` failure is then handed to it afterwards ({@link #toldIfGone}), which
   * opens it as running through it would have: it counts nothing else, and opens on the first.
   */
  #once<T>(breaker: Breaker, fn: () => Promise<T>): Promise<T> {
    const gone = this.#gone.policy;
    return gone.state === CircuitState.Closed ? breaker.policy.execute(fn) : gone.execute(() => breaker.policy.execute(fn));
  }

  /**
   * A failed attempt's error, rethrown; a `provider_gone` one that ran outside the provider-wide
   * breaker (it was closed) is handed to it first, which opens it. If it is no longer closed, it
   * saw the failure itself (it ran through it), or another request's opened it meanwhile: either
   * way the failure is told already, and stays this request's.
   */
  readonly #toldIfGone = (err: unknown): Promise<never> => {
    const gone = this.#gone.policy;
    return isGone(err) && gone.state === CircuitState.Closed ? gone.execute(() => Promise.reject(err)) : Promise.reject(err);
  };

  /** Turn cockatiel's BrokenCircuitError into which breaker is open and for how long; other errors pass. */
  explain(err: unknown, model: string): unknown {
    if (!(err instanceof BrokenCircuitError)) return err;
    const b = this.settings.breaker;
    if (this.#gone.policy.state !== CircuitState.Closed) return new CircuitOpen('provider', Math.max(0, this.#gone.openedAt + b.goneRecoveryMs - Date.now()));
    const m = this.#breakers.peek(model);
    return new CircuitOpen('model', m ? Math.max(0, m.openedAt + b.halfOpenAfterMs - Date.now()) : b.halfOpenAfterMs);
  }

  #goneBreaker(): Breaker {
    return this.#track('*', circuitBreaker(gone, { halfOpenAfter: this.settings.breaker.goneRecoveryMs, breaker: new ConsecutiveBreaker(1) }), this.settings.breaker.goneRecoveryMs);
  }

  /** Close every breaker (admin reset): the next request tries the upstream again. */
  reset(): void {
    for (const b of [this.#gone, ...this.#breakers.values()]) if (b.holdTimer) clearTimeout(b.holdTimer);
    this.#breakers.clear();
    this.#gone = this.#goneBreaker();
  }

  /** Told when one of this instance's own breakers opens or closes (instances sharing state pass it on). */
  onOwnChange: BreakerListener | undefined;

  /**
   * Another instance's breaker for `model` (`*`: the provider-wide one) opened: keep this one open
   * for `ms` too, so every instance holds off the failing upstream, not only the one that saw it.
   */
  holdOpen(model: string, ms: number): void {
    const b = model === '*' ? this.#gone : this.#breaker(model);
    if (b.policy.state === CircuitState.Open || ms <= 0) return; // open already, on its own count
    this.#releaseHold(b);
    b.hold = b.policy.isolate();
    b.openedAt = Date.now() + ms - (model === '*' ? this.settings.breaker.goneRecoveryMs : this.settings.breaker.halfOpenAfterMs);
    b.holdTimer = setTimeout(() => this.#releaseHold(b), ms);
    b.holdTimer.unref();
  }

  /** Another instance's breaker closed again: stop holding this one open. */
  releaseHold(model: string): void {
    const b = model === '*' ? this.#gone : this.#breakers.peek(model);
    if (b) this.#releaseHold(b);
  }

  #releaseHold(b: Breaker): void {
    if (b.holdTimer) clearTimeout(b.holdTimer);
    b.holdTimer = undefined;
    b.hold?.dispose(); // while `hold` is still set, so the reset it fires is not taken for our own
    b.hold = undefined;
  }

  /** Breakers that are open or half-open now, for stats: model (or `*` for the provider-wide one) -> state. */
  openBreakers(): Record<string, { state: 'open' | 'half-open'; retryInMs: number }> {
    const out: Record<string, { state: 'open' | 'half-open'; retryInMs: number }> = {};
    const now = Date.now();
    const look = (key: string, b: Breaker, after: number) => {
      if (b.policy.state === CircuitState.Open || b.policy.state === CircuitState.Isolated) out[key] = { state: 'open', retryInMs: Math.max(0, b.openedAt + after - now) };
      else if (b.policy.state === CircuitState.HalfOpen) out[key] = { state: 'half-open', retryInMs: 0 };
    };
    look('*', this.#gone, this.settings.breaker.goneRecoveryMs);
    for (const [model, b] of this.#breakers.entries()) look(model, b, this.settings.breaker.halfOpenAfterMs);
    return out;
  }

  #breaker(model: string): Breaker {
    let b = this.#breakers.get(model);
    if (!b) {
      const s = this.settings.breaker;
      const kind =
        s.type === 'sampling'
          ? new SamplingBreaker({ threshold: s.threshold, duration: s.samplingDurationMs, minimumRps: s.minimumRps })
          : new ConsecutiveBreaker(s.consecutiveFailures);
      b = this.#track(model, circuitBreaker(countsAgainstModel, { halfOpenAfter: s.halfOpenAfterMs, breaker: kind }), s.halfOpenAfterMs);
      this.#breakers.set(model, b);
    }
    return b;
  }

  #track(model: string, policy: CircuitBreakerPolicy, openMs: number): Breaker {
    const b: Breaker = { policy, openedAt: 0 };
    policy.onBreak((why) => {
      if ('isolated' in why) return; // held open for another instance: not news to pass on
      b.openedAt = Date.now(); // cockatiel measures half-open time with Date.now too
      this.onOwnChange?.(model, openMs);
    });
    policy.onReset(() => {
      if (b.hold === undefined && b.openedAt) this.onOwnChange?.(model, 0);
    });
    return b;
  }
}
