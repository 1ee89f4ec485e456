import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { Exchange } from '../dispatch/exchange.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { SseWriter } from './sse-writer.js';
import type { StreamRenderer } from './chat-format.js';

const SHUTTING_DOWN = new GatewayError(
  'SWB_ERR_SHUTTING_DOWN',
  'Switchboard is shutting down: this request was ended before the model finished; retry on another instance.',
);
/** The last event of a stream cut by shutdown; built once, it is the same for every stream. */
const SHUTTING_DOWN_EVENT = JSON.stringify(SHUTTING_DOWN.toEnvelope());

/**
 * One request in flight: a link of the drain's list, held by the responder. A list, not a Map or
 * Set keyed by the exchange: with one, 32 streams under load measured ~50 MB more peak RSS and a
 * JS heap twice as large (docs/performance.md), and unlinking costs nothing either way.
 */
export class InFlight {
  prev: InFlight | undefined;
  next: InFlight | undefined;
  /** Set once the request streams: shutdown then ends it with an event, not a 503. */
  out: SseWriter | undefined;
  /** The front door's renderer, when its stream is not OpenAI's: it writes the shutdown event. */
  renderer: StreamRenderer | undefined;

  constructor(
    readonly ex: Exchange,
    readonly reply: FastifyReply,
  ) {}
}

/**
 * The chat requests in flight, so shutdown can wait for them and, once its grace period is over,
 * end each one with the `server_shutting_down` error (the last event of a stream, or a 503 answer)
 * instead of cutting its connection. A request is only looked at again when shutdown asks.
 */
export class Drain {
  #head: InFlight | undefined;
  #size = 0;
  #stopping = false;
  #idle: (() => void) | undefined;
  #idlePromise: Promise<void> | undefined;

  /** Requests (streaming or not) not finished yet. */
  get size(): number {
    return this.#size;
  }

  enter(ex: Exchange, reply: FastifyReply): InFlight {
    const r = new InFlight(ex, reply);
    const head = this.#head;
    if (head) {
      r.next = head;
      head.prev = r;
    }
    this.#head = r;
    this.#size++;
    return r;
  }

  /** The request now streams; after the grace period one that only starts now ends at once. */
  streaming(r: InFlight, out: SseWriter, renderer?: StreamRenderer): void {
    r.out = out;
    r.renderer = renderer;
    if (this.#stopping) void stop(r, out);
  }

  leave(r: InFlight): void {
    if (r.prev) r.prev.next = r.next;
    else if (this.#head === r) this.#head = r.next;
    else return; // already left
    if (r.next) r.next.prev = r.prev;
    r.prev = r.next = undefined;
    if (--this.#size === 0 && this.#idle) this.#idle();
  }

  /** Resolves once no request is in flight. */
  idle(): Promise<void> {
    if (this.#size === 0) return Promise.resolve();
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
    for (let r = this.#head; r; r = r.next) ending.push(r.out ? stop(r, r.out) : refuse(r));
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

function stop(r: InFlight, out: SseWriter): Promise<void> {
  const res = r.reply.raw;
  if (res.writableFinished || res.destroyed) return Promise.resolve();
  const flushed = sent(res);
  if (r.renderer) {
    r.renderer.fail(SHUTTING_DOWN, out);
    out.end();
  } else out.fail(SHUTTING_DOWN_EVENT);
  // For the upstream this is as if the client had left: abort the call, blame no credential, and
  // the pump stops without writing again.
  r.ex.clientClosed();
  return flushed;
}

function refuse(r: InFlight): Promise<void> {
  const { reply } = r;
  const res = reply.raw;
  if (reply.sent || res.headersSent || res.destroyed) return Promise.resolve();
  const flushed = sent(res);
  // Through the route's error handler, so each front door answers in its own envelope.
  reply.header('connection', 'close').send(SHUTTING_DOWN);
  r.ex.clientClosed(); // the responder sees the reply sent and lets the aborted call go quietly
  return flushed;
}
