import { GatewayError } from '../errors/gateway-error.js';
import type { Clock } from '../state/clock.js';
import type { CallSignal } from '../contract/call-signal.js';
import type { PoolExhausted } from './exhausted.js';
import type { Lease } from './lease.js';
import { PoolEntry } from './pool-entry.js';
import type { Tried } from './tried.js';

/** Nothing can serve right now, but something will: a throttle interval ends or a slot frees. */
export const WAIT = Symbol('wait');

/** What the queue asks of its pool. */
export interface QueueHost {
  readonly providerId: string;
  readonly entries: readonly PoolEntry[];
  readonly settings: { throttle: { minIntervalMs: number; queueLimit: number; queueTimeoutMs: number } };
  /** A credential for this waiter now, WAIT, or why none ever will. */
  pick(model: string, now: number, tried: Tried | undefined): PoolEntry | typeof WAIT | PoolExhausted;
  lease(e: PoolEntry, model: string): Lease;
}

interface Waiter {
  model: string;
  tried: Tried | undefined;
  signal: CallSignal;
  resolve(lease: Lease): void;
  reject(err: unknown): void;
  timer: NodeJS.Timeout;
  onAbort(): void;
}

/**
 * Callers waiting for a throttled or busy credential, served in arrival order: bounded in length
 * (429 queue_full) and in time (503 queue_timeout), woken when a lease ends or when the nearest
 * throttle interval does.
 */
export class WaitQueue {
  #queue: Waiter[] = [];
  #wakeAt = 0;
  #wakeTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly host: QueueHost,
    private readonly clock: Clock,
  ) {}

  get length(): number {
    return this.#queue.length;
  }

  enqueue(model: string, signal: CallSignal, tried: Tried | undefined): Promise<Lease> {
    const { providerId, settings, entries } = this.host;
    const { queueLimit, queueTimeoutMs, minIntervalMs } = settings.throttle;
    if (this.#queue.length >= queueLimit) {
      const waitS = Math.max(1, Math.ceil((minIntervalMs * (this.#queue.length + 1)) / Math.max(1, entries.length) / 1000));
      return Promise.reject(
        new GatewayError('SWB_ERR_QUEUE_FULL', `Too many requests are waiting for provider "${providerId}" (queue limit ${queueLimit}); retry in ${waitS}s.`, {
          headers: { 'retry-after': String(waitS) },
        }),
      );
    }
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<Lease>((resolve, reject) => {
      const waiter: Waiter = {
        model,
        tried,
        signal,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#drop(waiter);
          reject(new GatewayError('SWB_ERR_QUEUE_TIMEOUT', `Waited ${queueTimeoutMs} ms for a free credential of provider "${providerId}" (model ${model}); none freed.`));
        }, queueTimeoutMs),
        onAbort: () => {
          this.#drop(waiter);
          reject(signal.reason);
        },
      };
      signal.addEventListener('abort', waiter.onAbort);
      this.#queue.push(waiter);
      this.drain();
    });
  }

  #drop(w: Waiter): void {
    clearTimeout(w.timer);
    w.signal.removeEventListener('abort', w.onAbort);
    const i = this.#queue.indexOf(w);
    if (i !== -1) this.#queue.splice(i, 1);
    if (i === 0) this.drain();
  }

  /** Serve waiters in arrival order while credentials allow. */
  drain(): void {
    while (this.#queue.length) {
      const head = this.#queue[0];
      const picked = this.host.pick(head.model, this.clock.now(), head.tried);
      if (picked === WAIT) return; // a release or the wake timer calls again
      this.#queue.shift();
      clearTimeout(head.timer);
      head.signal.removeEventListener('abort', head.onAbort);
      if (picked instanceof PoolEntry) head.resolve(this.host.lease(picked, head.model));
      else head.reject(picked);
    }
  }

  /** Wake the queue when the nearest throttle interval ends. */
  wakeAtLeast(at: number): void {
    if (this.#wakeTimer && this.#wakeAt <= at) return;
    if (this.#wakeTimer) clearTimeout(this.#wakeTimer);
    this.#wakeAt = at;
    // Timers may fire a millisecond early; pick re-checks and re-arms if so.
    this.#wakeTimer = setTimeout(() => {
      this.#wakeTimer = undefined;
      this.drain();
    }, Math.max(1, at - this.clock.now()));
  }

  /** Stop waiting: every queued caller is rejected (shutdown). */
  close(): void {
    if (this.#wakeTimer) clearTimeout(this.#wakeTimer);
    this.#wakeTimer = undefined;
    for (const w of this.#queue.splice(0)) {
      clearTimeout(w.timer);
      w.signal.removeEventListener('abort', w.onAbort);
      w.reject(new GatewayError('SWB_ERR_NOT_READY', 'Switchboard is shutting down.'));
    }
  }
}
