/**
 * A minimal abort signal: the part of `AbortSignal` undici and most code use (`aborted`, `reason`,
 * `addEventListener`/`removeEventListener('abort')`). An `AbortController` per request plus its
 * EventTarget listeners costs measurably on the hot path; this is a field and an array.
 * Use {@link CallSignal.toAbortSignal} where a real `AbortSignal` is required (fetch).
 */
export class CallSignal {
  aborted = false;
  reason: unknown = undefined;
  #listeners: ((event?: unknown) => void)[] | undefined;
  #real: AbortController | undefined;

  addEventListener(type: string, listener: (event?: unknown) => void): void {
    if (type !== 'abort') return;
    if (this.aborted) return;
    (this.#listeners ??= []).push(listener);
  }

  removeEventListener(type: string, listener: (event?: unknown) => void): void {
    if (type !== 'abort' || !this.#listeners) return;
    const i = this.#listeners.indexOf(listener);
    if (i !== -1) this.#listeners.splice(i, 1);
  }

  /** Whether anything still listens for the abort. */
  get listening(): boolean {
    return this.#listeners !== undefined && this.#listeners.length > 0;
  }

  throwIfAborted(): void {
    if (this.aborted) throw this.reason;
  }

  /** Abort once; later calls are ignored. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.#listeners;
    this.#listeners = undefined;
    if (listeners) for (const l of listeners) l({ type: 'abort' });
  }

  /**
   * A signal that aborts with `new Error(message)` after `ms`, for calls outside a request (model
   * discovery, quota reads). The timer does not keep the process alive; call `clear()` when the
   * call ends so it does not linger either.
   */
  static timeout(ms: number, message: string): TimeoutSignal {
    return new TimeoutSignal(ms, message);
  }

  /** A real AbortSignal that follows this one (created on first use). */
  toAbortSignal(): AbortSignal {
    if (!this.#real) {
      const ctl = (this.#real = new AbortController());
      if (this.aborted) ctl.abort(this.reason);
      else this.addEventListener('abort', () => ctl.abort(this.reason));
    }
    return this.#real.signal;
  }
}

/** A {@link CallSignal} on a timer: see {@link CallSignal.timeout}. */
export class TimeoutSignal extends CallSignal {
  #timer: NodeJS.Timeout | undefined;

  constructor(ms: number, message: string) {
    super();
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.abort(new Error(message));
    }, ms);
    this.#timer.unref();
  }

  /** Stop the timer (the call ended first); the signal stays as it is. Safe to call twice. */
  clear(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
