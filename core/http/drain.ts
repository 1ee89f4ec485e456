import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { Exchange } from '../dispatch/exchange.js';
import { GatewayError } from '../errors/gateway-error.js';
import { sendError } from './error-handler.js';
import type { SseWriter } from './sse-writer.js';

const SHUTTING_DOWN = new GatewayError(
  'SWB_ERR_SHUTTING_DOWN',
  'Switchboard is shutting down: this request was ended before the model finished; retry on another instance.',
);
/** The last event of a stream cut by shutdown; built once, it is the same for every stream. */
const SHUTTING_DOWN_EVENT = JSON.stringify(SHUTTING_DOWN.toEnvelope());

interface OpenStream {
  out: SseWriter;
  res: ServerResponse;
}

/**
 * The chat requests in flight, so shutdown can wait for them and, once its grace period is over,
 * end each one with the `server_shutting_down` error (the last event of a stream, or a 503 answer)
 * instead of cutting its connection. One Map entry per request; a request is only looked at again
 * when shutdown asks.
 */
export class Drain {
  readonly #open = new Map<Exchange, OpenStream | FastifyReply>();
  #stopping = false;
  #idle: (() => void) | undefined;
  #idlePromise: Promise<void> | undefined;

  /** Requests (streaming or not) not finished yet. */
  get size(): number {
    return this.#open.size;
  }

  enter(ex: Exchange, reply: FastifyReply): void {
    this.#open.set(ex, reply);
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
   * end (no `[DONE]`), every request still waiting for its answer a 503 with that code, and their
   * upstream calls are aborted. Resolves, with how many were ended, once those last bytes left.
   */
  async stopAll(): Promise<number> {
    this.#stopping = true;
    const ending: Promise<void>[] = [];
    for (const [ex, s] of this.#open) ending.push('out' in s ? stop(ex, s) : refuse(ex, s));
    await Promise.all(ending);
    return ending.length;
  }
}

function sent(res: ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    res.once('finish', resolve);
    res.once('close', resolve);
  });
}

function stop(ex: Exchange, s: OpenStream): Promise<void> {
  const { res } = s;
  if (res.writableFinished || res.destroyed) return Promise.resolve();
  const flushed = sent(res);
  s.out.fail(SHUTTING_DOWN_EVENT);
  // For the upstream this is as if the client had left: abort the call, blame no credential, and
  // the pump stops without writing again.
  ex.clientClosed();
  return flushed;
}

function refuse(ex: Exchange, reply: FastifyReply): Promise<void> {
  const res = reply.raw;
  if (reply.sent || res.headersSent || res.destroyed) return Promise.resolve();
  const flushed = sent(res);
  sendError(reply.header('connection', 'close'), SHUTTING_DOWN);
  ex.clientClosed(); // the responder sees the reply sent and lets the aborted call go quietly
  return flushed;
}
