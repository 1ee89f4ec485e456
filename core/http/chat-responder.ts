import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ChatCompletion, ChatRequest } from '../contract/openai.js';
import type { RawJson } from '../contract/raw.js';
import type { CommittedStream } from '../dispatch/committed-stream.js';
import type { Answer, Dispatcher } from '../dispatch/dispatcher.js';
import { Exchange } from '../dispatch/exchange.js';
import { servedEntry } from './access-log.js';
import { toGatewayError } from './error-handler.js';
import { CLIENT_CLOSED, type RequestOutcomes } from './request-outcomes.js';
import type { ChatFormat, StreamRenderer } from './chat-format.js';
import type { Drain } from './drain.js';
import { SseWriter } from './sse-writer.js';

export interface ResponderDeps {
  dispatcher: Dispatcher;
  /** The access log and the outcome listeners (metrics, usage, the console's tail). */
  outcomes: RequestOutcomes;
  /** Requests in flight, for shutdown: it waits for them, then ends open streams with an event. */
  drain: Drain;
}

/**
 * What every front door that speaks chat underneath shares: the request's exchange (client
 * signal, timeouts), its place in the shutdown drain, the access log line, and writing a
 * committed stream. A front door brings only its format.
 */
export class ChatResponder {
  constructor(private readonly deps: ResponderDeps) {}

  /** Answer a chat request, streaming or not, in `format`. */
  async respond(request: FastifyRequest, reply: FastifyReply, body: ChatRequest, format: ChatFormat): Promise<void> {
    const { dispatcher, drain, outcomes } = this.deps;
    const res = reply.raw;
    const ex = new Exchange(request.id, res);
    const started = Date.now();
    const model = body.model; // dispatch may rewrite body.model to the upstream's id
    const inFlight = drain.enter(ex, reply);
    try {
      if (body.stream) {
        // Errors before the first chunk propagate to the error handler as a JSON error response.
        const stream = await dispatcher.openChat(body, ex);
        let ttfb = 0;
        try {
          reply.hijack();
          const out = new SseWriter(res);
          out.open(reply.getHeaders());
          ttfb = Date.now() - started;
          const renderer = format.stream?.();
          drain.streaming(inFlight, out, renderer);
          await (renderer ? render(stream, renderer, ex, out) : pump(stream, format, ex, out));
        } finally {
          stream.close(); // settled already, unless something above threw
        }
        const entry = servedEntry(request, routeOf(request, format), started, model, stream, ex.attempts, ttfb);
        if (ex.clientGone) entry.status = CLIENT_CLOSED;
        outcomes.report(entry);
        return;
      }
      let served;
      try {
        served = await dispatcher.complete(body, ex);
      } catch (err) {
        if (reply.sent) return; // shutdown answered it (503 server_shutting_down) and aborted the call
        throw err;
      }
      reply.header('content-type', 'application/json').send(format.completion(served.value));
      outcomes.report(servedEntry(request, routeOf(request, format), started, model, served, ex.attempts));
    } catch (err) {
      // A stream that began tells its own outcome; shutdown's 503 and a refusal here are told once.
      if (!reply.sent) outcomes.failed(request, routeOf(request, format), started, model, ex.clientGone ? CLIENT_CLOSED : toGatewayError(err as Error).status, ex);
      if (!ex.clientGone) throw err;
      left(request, started);
    } finally {
      drain.leave(inFlight);
      ex.finish();
    }
  }

  /**
   * A whole completion (the body's `stream` is not read) for a front door that renders it itself (the string endpoint): routed,
   * retried and failed over like any chat request, counted in the drain and the access log.
   * Failures throw the GatewayError the client should see; undefined means the reply was already
   * sent (shutdown refused the request in the route's own envelope), so there is nothing to send.
   */
  complete(request: FastifyRequest, reply: FastifyReply, body: ChatRequest, route: string): Promise<Answer<ChatCompletion | RawJson<ChatCompletion>> | undefined> {
    return this.#whole(request, reply, body, route, (ex) => this.deps.dispatcher.complete(body, ex));
  }

  /** The upstream's count of a request's input tokens (`count_tokens`), with the same care as {@link complete}. */
  countTokens(request: FastifyRequest, reply: FastifyReply, body: ChatRequest, route: string): Promise<Answer<number | undefined> | undefined> {
    return this.#whole(request, reply, body, route, (ex) => this.deps.dispatcher.countTokens(body, ex));
  }

  /** `route` names the front door in the access log (`/v1/string`). */
  async #whole<T>(request: FastifyRequest, reply: FastifyReply, body: ChatRequest, route: string, run: (ex: Exchange) => Promise<Answer<T>>): Promise<Answer<T> | undefined> {
    const ex = new Exchange(request.id, reply.raw);
    const started = Date.now();
    const model = body.model;
    const inFlight = this.deps.drain.enter(ex, reply);
    try {
      let served;
      try {
        served = await run(ex);
      } catch (err) {
        if (reply.sent) return undefined;
        this.deps.outcomes.failed(request, route, started, model, ex.clientGone ? CLIENT_CLOSED : toGatewayError(err as Error).status, ex);
        if (ex.clientGone) {
          left(request, started);
          return undefined;
        }
        throw err;
      }
      this.deps.outcomes.report(servedEntry(request, route, started, model, served, ex.attempts));
      return served;
    } finally {
      this.deps.drain.leave(inFlight);
      ex.finish();
    }
  }
}

/** The front door's route: its format's own, else (a plugin's format) the route it was registered as. */
const routeOf = (request: FastifyRequest, format: ChatFormat): string => format.route ?? request.routeOptions.url ?? 'unknown';

/**
 * The client closed its connection before any answer: nothing can be sent, and it is nobody's
 * fault (the dispatcher already aborted the upstream call and blamed no credential). An info
 * line, not the error handler's "unhandled error" with a stack, for what a stop button does.
 */
function left(request: FastifyRequest, started: number): void {
  request.log.info({ reqId: request.id, ms: Date.now() - started }, 'client disconnected before the answer');
}

/**
 * Write a committed stream to the client. After the first byte a failure can only be reported
 * inside the stream: a final error event and no `[DONE]`, so no client takes it for complete.
 */
async function pump(stream: CommittedStream, format: ChatFormat, ex: Exchange, out: SseWriter): Promise<void> {
  let n = 0;
  const frames = format.rawFrames === true;
  try {
    for (;;) {
      const run = frames ? stream.takeFrames() : undefined;
      if (run !== undefined) {
        out.frames(run);
        if (out.congested) await out.drained();
        continue;
      }
      const next = stream.pull();
      const chunk = next instanceof Promise ? await next : next;
      if (chunk === undefined) break;
      const text = format.chunk(chunk);
      if (text !== undefined) out.data(text);
      // What was in hand at commit goes out at once: a client waits for it, while later events are
      // batched per tick (the loop would otherwise read what else arrived before this write).
      if (++n === stream.headSize) out.flushNow();
      else if (out.congested) await out.drained();
    }
    out.done();
  } catch (err) {
    if (ex.clientGone) return;
    out.fail(JSON.stringify(stream.errorFor(err).toEnvelope()));
  }
}

/**
 * The same for a front door with a renderer of its own (named events, state per stream): it
 * writes the closing events on a clean end, and the error events on a failure.
 */
async function render(stream: CommittedStream, renderer: StreamRenderer, ex: Exchange, out: SseWriter): Promise<void> {
  let n = 0;
  try {
    for (let next = stream.pull(); ; next = stream.pull()) {
      const chunk = next instanceof Promise ? await next : next;
      if (chunk === undefined) break;
      renderer.chunk(chunk, out);
      if (++n === stream.headSize) out.flushNow();
      else if (out.congested) await out.drained();
    }
    renderer.done(out);
  } catch (err) {
    if (ex.clientGone) return;
    renderer.fail(stream.errorFor(err), out);
  }
  out.end();
}
