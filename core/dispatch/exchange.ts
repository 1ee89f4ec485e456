import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Timeouts } from '../contract/provider.js';
import type { PoolEntry } from '../pool/pool-entry.js';
import type { TriedHow } from '../pool/tried.js';
import { CallSignal } from '../contract/call-signal.js';
import { originOf } from './origin.js';
import { pause } from '../resilience/pause.js';

export type TimeoutKind = 'first_byte' | 'idle' | 'total';

type AbortReason = TimeoutKind | 'client_gone' | 'released';

const ABORTS: Record<AbortReason, [name: string, message: string]> = {
  first_byte: ['TimeoutError', 'upstream first-byte timeout'],
  idle: ['TimeoutError', 'upstream idle timeout'],
  total: ['TimeoutError', 'upstream total timeout'],
  client_gone: ['ClientGone', 'client disconnected'],
  released: ['Released', 'request finished'],
};

/** Why an exchange's signal was aborted. */
export class ExchangeAbort extends Error {
  constructor(readonly reason: AbortReason) {
    super(ABORTS[reason][1]);
    this.name = ABORTS[reason][0];
  }

  get isTimeout(): boolean {
    return this.name === 'TimeoutError';
  }
}

/**
 * The life of one client request against its upstream attempts: the abort signal of the current
 * attempt and the three timeouts. One timer serves all three: it is armed for the nearest
 * deadline and, when it fires, re-checks and re-arms; chunks only stamp `lastChunkAt`, so the
 * per-chunk cost is an assignment rather than a timer reset.
 *
 * The exchange is itself the client's signal: aborted once the client leaves, never by a timeout
 * (`signal` is the current attempt's). Waits between attempts (a retry's backoff, a queue, a
 * cooldown) listen to it, so they end the moment nobody is left to answer. Being the signal
 * rather than holding one spares an object per request.
 */
export class Exchange extends CallSignal {
  signal = new CallSignal();
  timedOut: TimeoutKind | undefined;
  lastChunkAt = 0;
  /** Upstream attempts this request made (retries and failovers each count). */
  attempts = 0;
  /** The provider and (masked) credential of the latest attempt, for a failed request's outcome. */
  provider: string | undefined;
  credential: string | undefined;
  /**
   * The credentials the current target has tried for this request, and how each failed (the
   * dispatcher's, across the target's retries); created on the first failure only.
   */
  tried: Map<PoolEntry, TriedHow> | undefined;
  #timeouts: Timeouts | undefined;
  #attemptStart = 0;
  #totalDeadline = 0;
  #streaming = false;
  #timer: NodeJS.Timeout | undefined;
  #done = false;
  #res: ServerResponse | undefined;
  #origin: string | undefined;

  /**
   * @param reqId the request's id, for log lines about it
   * @param res the client's response: the exchange aborts if its connection closes first
   */
  constructor(
    readonly reqId: string,
    res?: ServerResponse,
  ) {
    super();
    if (res) this.#watch(res);
  }

  /** The client went away (the exchange, as a signal, is aborted). */
  get clientGone(): boolean {
    return this.aborted;
  }

  /** The origin the client reached us at (CallContext.origin); worked out on first use only. */
  get origin(): string | undefined {
    if (this.#origin === undefined && this.#res) this.#origin = originOf(this.#res.req);
    return this.#origin;
  }

  /** Start an upstream attempt with its provider's timeouts; returns the attempt's signal. */
  beginAttempt(timeouts: Timeouts, provider: string, credential: string): CallSignal {
    this.attempts++;
    this.provider = provider;
    this.credential = credential;
    const now = Date.now();
    if (this.#timeouts) this.signal = new CallSignal(); // a new attempt must not inherit an abort
    this.#timeouts = timeouts;
    this.#attemptStart = now;
    this.#streaming = false;
    this.timedOut = undefined;
    if (!this.#totalDeadline) this.#totalDeadline = now + timeouts.totalMs;
    this.#arm(now);
    return this.signal;
  }

  /** The attempt failed: its timeouts stop (a queue wait for the next credential has its own). */
  endAttempt(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Time left before the total timeout, in ms (Infinity before the first attempt). */
  get remainingMs(): number {
    return this.#totalDeadline ? this.#totalDeadline - Date.now() : Infinity;
  }

  /** Wait between two rounds of a route (a cooldown about to end); rejects if the client leaves. */
  sleep(ms: number): Promise<void> {
    this.endAttempt();
    return pause(ms, this);
  }

  /** The first chunk arrived: from now on the idle timeout applies. */
  firstChunk(): void {
    this.#streaming = true;
    this.lastChunkAt = Date.now();
  }

  /** Total time is up: no point trying another target. */
  get expired(): boolean {
    return this.#totalDeadline !== 0 && Date.now() >= this.#totalDeadline;
  }

  /** The client went away: abort whatever is in flight. */
  clientClosed(): void {
    if (this.#done) return;
    const reason = new ExchangeAbort('client_gone');
    this.signal.abort(reason);
    this.abort(reason); // and whatever waits between attempts
    this.finish();
  }

  /**
   * Abort this exchange if the client's connection closes before the answer is complete. A
   * kept-alive socket carries one request at a time, so it gets one 'close' listener for its whole
   * life and points at its current exchange: no listener is added and removed per request. (A
   * pipelined second request falls back to a listener on its response.)
   */
  #watch(res: ServerResponse): void {
    this.#res = res;
    const socket = res.socket as WatchedSocket | null;
    if (socket && socket[EXCHANGE] === undefined) {
      if (!socket[WATCHED]) {
        socket[WATCHED] = true;
        socket.once('close', onSocketClose);
      }
      socket[EXCHANGE] = this;
    } else {
      (res as WatchedResponse)[EXCHANGE] = this;
      res.on('close', onResponseClose);
    }
  }

  #unwatch(res: ServerResponse): void {
    this.#res = undefined;
    const socket = res.socket as WatchedSocket | null;
    if (socket && socket[EXCHANGE] === this) socket[EXCHANGE] = undefined;
    else res.off('close', onResponseClose);
  }

  /**
   * The request is over: stop watching the client, and abort whatever upstream call is still
   * attached to the signal (a body nobody will read, after an error on our side) so its socket is
   * not left paused. Safe to call twice.
   */
  finish(): void {
    this.#done = true;
    if (this.#res) this.#unwatch(this.#res);
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    // Usually nothing is attached any more; the shared reason spares an Error (and its stack
    // trace) per request.
    if (this.signal.listening) this.signal.abort(RELEASED);
  }

  #deadline(): { at: number; kind: TimeoutKind } {
    const t = this.#timeouts as Timeouts;
    const phase = this.#streaming ? this.lastChunkAt + t.idleMs : this.#attemptStart + t.firstByteMs;
    return phase < this.#totalDeadline
      ? { at: phase, kind: this.#streaming ? 'idle' : 'first_byte' }
      : { at: this.#totalDeadline, kind: 'total' };
  }

  #arm(now: number): void {
    if (this.#timer) clearTimeout(this.#timer);
    // The exchange rides along as the timer's argument: no closure per request.
    this.#timer = setTimeout(onExchangeTimer, Math.max(0, this.#deadline().at - now), this);
  }

  /** @internal the timer fired: time out, or re-arm for the next deadline. */
  onTimer(): void {
    this.#timer = undefined;
    if (this.#done) return;
    const now = Date.now();
    const d = this.#deadline();
    if (now < d.at) {
      this.#arm(now);
      return;
    }
    this.timedOut = d.kind;
    this.signal.abort(new ExchangeAbort(d.kind));
  }
}

const RELEASED = new ExchangeAbort('released');
const EXCHANGE = Symbol('switchboard.exchange');
const WATCHED = Symbol('switchboard.watched');
type WatchedResponse = ServerResponse & { [EXCHANGE]?: Exchange };
type WatchedSocket = Socket & { [EXCHANGE]?: Exchange; [WATCHED]?: boolean };

function onResponseClose(this: WatchedResponse): void {
  this[EXCHANGE]?.clientClosed();
}

function onSocketClose(this: WatchedSocket): void {
  this[EXCHANGE]?.clientClosed();
}

function onExchangeTimer(ex: Exchange): void {
  ex.onTimer();
}
