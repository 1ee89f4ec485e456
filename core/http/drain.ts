import type { ServerResponse } from 'node:http';
import type { Exchange } from '../dispatch/exchange.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { SseWriter } from './sse-writer.js';

/** The last event of a stream cut by shutdown; built once, it is the same for every stream. */
const SHUTTING_DOWN_EVENT = JSON.stringify(
  new GatewayError('SWB_ERR_SHUTTING_DOWN', 'Switchboard is shutting down: this stream was ended before the model finished; retry on another instance.').toEnvelope(),
);

interface OpenStream {
  out: SseWriter;
  res: ServerResponse;
}

/**
 * The chat requests in flight, so shutdown can wait for them and, once its grace period is over,
 * end each open stream with a final error event instead of cutting its connection. One Map entry
 * per request; a request is only looked at again when shutdown asks.
 */
export class Drain {
  readonly #open = new Map<Exchange, OpenStream | undefined>();
  #stopping = false;
  #idle: (() => void) | undefined;
  #idlePromise: Promise<void> | undefined;

  /** Requests (streaming or not) not finished yet. */
  get size(): number {
    return this.#open.size;
  }

  enter(ex: Exchange): void {
    this.#open.set(ex, undefined);
  }

  /** The request now streams; after the grace period one that only starts now ends at once. */
  streaming(ex: Exchange, out: SseWriter, res: ServerResponse): void {
    const s = { out, res };
    this.#open.set(ex, s);
    if (this.#stopping) void stop(ex, s);
  }

  leave(ex: Exchange): void {
    this.#open.delete(ex);
    if (this.#open.size === 0 && this.#idle) this.#idle();
  }

  /** Resolves once no request is in flight. */
  idle(): Promise<void> {
    if (this.#open.size === 0) return Promise.resolve();
    this.#idlePromise ??= new Promise((resolve) => {
      this.#idle = () => {
        this.#idle = undefined;
        this.#idlePromise = undefined;
        resolve();
      };
    });
    return this.#idlePromise;
  }

  /**
   * The grace period is over: every open stream gets the `server_shutting_down` event and a clean
   * end (no `[DONE]`), its upstream call is aborted. Resolves once those last bytes left.
   */
  async stopStreams(): Promise<number> {
    this.#stopping = true;
    const ending: Promise<void>[] = [];
    for (const [ex, s] of this.#open) if (s) ending.push(stop(ex, s));
    await Promise.all(ending);
    return ending.length;
  }
}

function stop(ex: Exchange, s: OpenStream): Promise<void> {
  const { res } = s;
  if (res.writableFinished || res.destroyed) return Promise.resolve();
  const flushed = new Promise<void>((resolve) => {
    res.once('finish', resolve);
    res.once('close', resolve);
  });
  s.out.fail(SHUTTING_DOWN_EVENT);
  // For the upstream this is as if the client had left: abort the call, blame no credential, and
  // the pump stops without writing again.
  ex.clientClosed();
  return flushed;
}
