import type { ChatChunk } from '../contract/openai.js';
import type { Logger } from '../contract/provider.js';
import { makeChunk } from '../canonical/chunks.js';
import { peekChunk } from '../contract/raw.js';
import { hasEndedNow, takeFrames, takeReady } from '../contract/ready-now.js';
import { usageOf, type TokenUsage } from '../canonical/usage.js';
import type { RouteTarget } from '../config/types.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { Lease } from '../pool/lease.js';
import type { ProviderHandle } from '../providers/registry.js';
import type { Exchange } from './exchange.js';
import { describeFailure, failureToError, internalError, ownFaultError, toFailure } from './failure.js';

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * A stream whose first chunk has arrived: from here on it is committed to one target and one
 * credential. It owns the rest of that attempt's life, so a front door only loops and writes:
 *
 * - the chunks come out role first (the core synthesises the role chunk when a provider's first
 *   chunk lacks it; some clients depend on it);
 * - each chunk stamps the exchange's idle clock, and so does asking for the next one (time the
 *   front door spends waiting for a slow client is not upstream idleness);
 * - the end credits the lease with the usage the last chunk carried; a failure classifies it,
 *   blames the credential and throws the {@link GatewayError} to end the stream with; `return()`
 *   (the loop broke, or the front door threw) gives the credential back unblamed. Each also stops
 *   the attempt's timer. Only the first of them counts.
 */
export class CommittedStream implements AsyncIterableIterator<ChatChunk> {
  /** How many chunks were in hand at commit (1, or 2 with a synthesised role chunk). */
  readonly headSize: number;
  /** The stream's token counts once it ended well, when the upstream reported them. */
  usage: TokenUsage | undefined;
  #head: ChatChunk[] | undefined;
  #last: ChatChunk | undefined;
  #settled = false;
  readonly #received = (r: IteratorResult<ChatChunk>): IteratorResult<ChatChunk> => {
    if (r.done) {
      this.#succeed();
      return r;
    }
    this.ex.lastChunkAt = Date.now();
    this.#last = r.value;
    return r;
  };
  /** {@link pull}'s own settlement of a read: the chunk itself (undefined at the end), one promise fewer than `next().then`. */
  readonly #pulled = (r: IteratorResult<ChatChunk>): ChatChunk | undefined => {
    if (r.done) {
      this.#succeed();
      return undefined;
    }
    this.ex.lastChunkAt = Date.now();
    this.#last = r.value;
    return r.value;
  };
  readonly #broke = (err: unknown): never => {
    throw this.#fail(err);
  };

  constructor(
    first: ChatChunk,
    private readonly rest: AsyncIterator<ChatChunk>,
    readonly handle: ProviderHandle,
    readonly target: RouteTarget,
    private readonly lease: Lease,
    private readonly ex: Exchange,
    private readonly log: Logger,
  ) {
    const head = peekChunk(first);
    this.#head = head.choices?.length && head.choices[0].delta?.role === undefined ? [makeChunk(head, { role: 'assistant', content: '' }), first] : [first];
    this.headSize = this.#head.length;
    this.#last = first;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /**
   * The next chunk: itself when it is in hand (the head, or what the provider's last read
   * completed), else a promise of it; undefined at the end (in hand when the provider's stream
   * knows it has ended, else through a promise). Front doors loop on this rather than
   * `for await`, which pays `next()`'s promise hops on every chunk.
   */
  pull(): ChatChunk | undefined | Promise<ChatChunk | undefined> {
    const head = this.#head;
    if (head) {
      const value = head.shift() as ChatChunk;
      if (head.length === 0) this.#head = undefined;
      return value;
    }
    if (this.#settled) return undefined;
    const value = takeReady<ChatChunk>(this.rest);
    this.ex.lastChunkAt = Date.now();
    if (value !== undefined) {
      this.#last = value;
      return value;
    }
    if (hasEndedNow(this.rest)) {
      this.#succeed();
      return undefined;
    }
    return this.#ask(this.#pulled);
  }

  /**
   * The chunks in hand as the upstream's SSE text, when the provider's reader offers them so (its
   * chunks' text unchanged): for a front door that writes chunk text as is. `undefined`: pull.
   */
  takeFrames(): string | Buffer | undefined {
    if (this.#head || this.#settled) return undefined;
    const run = takeFrames<ChatChunk>(this.rest);
    if (run === undefined) return undefined;
    this.ex.lastChunkAt = Date.now();
    this.#last = run.last;
    return run.text;
  }

  next(): Promise<IteratorResult<ChatChunk>> {
    const head = this.#head;
    if (head) {
      const value = head.shift() as ChatChunk;
      if (head.length === 0) this.#head = undefined;
      return Promise.resolve({ done: false, value });
    }
    if (this.#settled) return Promise.resolve(DONE);
    this.ex.lastChunkAt = Date.now();
    return this.#ask(this.#received);
  }

  /** Ask the provider's stream for its next chunk; `settle` takes the answer, a failure is laid where it belongs. */
  #ask<R>(settle: (r: IteratorResult<ChatChunk>) => R): Promise<R> {
    let pending: Promise<IteratorResult<ChatChunk>>;
    try {
      pending = this.rest.next();
    } catch (err) {
      return Promise.reject(this.#fail(err));
    }
    return pending.then(settle, this.#broke);
  }

  /** The front door stopped reading: give the credential back unblamed and close the upstream. */
  return(): Promise<IteratorResult<ChatChunk>> {
    this.close();
    return Promise.resolve(DONE);
  }

  /** {@link return} without its promise, for a front door that does not wait for it. */
  close(): void {
    this.#head = undefined;
    if (this.#settle()) {
      this.lease.release();
      // The provider's generator runs its `finally` (closing its upstream request); what it throws
      // then is of no interest to anyone.
      this.rest.return?.()?.then(undefined, ignore);
    }
  }

  /**
   * The error to end the stream with for whatever the front door's loop caught: the stream's own
   * failure as thrown, anything else (the front door's own bug) as an internal error.
   */
  errorFor(err: unknown): GatewayError {
    if (err instanceof GatewayError) return err;
    const e = internalError(err, this.handle.id, this.target.model, this.handle.secrets);
    this.log.error({ reqId: this.ex.reqId, provider: this.handle.id, model: this.target.model, code: e.id, err: e }, 'internal error mid-stream');
    return e;
  }

  #succeed(): void {
    if (!this.#settle()) return;
    this.usage = usageOf(this.#last);
    this.lease.succeed(this.usage);
  }

  /** The credential serving the stream, masked (or its name). */
  get credential(): string {
    return this.lease.entry.id;
  }

  /** The error the stream ends with: blame is laid where it belongs, and a line is logged. */
  #fail(err: unknown): unknown {
    if (!this.#settle()) return err;
    const h = this.handle;
    const model = this.target.model;
    if (this.ex.clientGone) {
      this.lease.release();
      return err;
    }
    const ours = err instanceof GatewayError ? err : ownFaultError(err, h.id, model, h.secrets);
    if (ours) {
      this.lease.release();
      if (ours.id === 'SWB_ERR_INTERNAL') this.log.error({ reqId: this.ex.reqId, provider: h.id, model, code: ours.id, err: ours }, 'internal error mid-stream');
      else this.#warn(ours);
      return ours;
    }
    const failure = toFailure(err, model, this.ex);
    const v = h.classify(failure);
    this.lease.fail(v.kind, { message: describeFailure(failure, h.secrets) });
    const e = failureToError(v.kind, failure, h.id, h.secrets);
    this.#warn(e);
    return e;
  }

  #warn(e: GatewayError): void {
    this.log.warn({ reqId: this.ex.reqId, provider: this.handle.id, model: this.target.model, code: e.id, err: e.message }, 'upstream failed mid-stream');
  }

  #settle(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    this.ex.endAttempt();
    return true;
  }
}

function ignore(): void {}
