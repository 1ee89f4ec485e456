import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ChatRequest } from '../contract/openai.js';
import { makeChunk } from '../canonical/chunks.js';
import { peekChunk } from '../canonical/raw.js';
import type { Dispatcher, OpenStream } from '../dispatch/dispatcher.js';
import { Exchange } from '../dispatch/exchange.js';
import type { AccessLog } from './access-log.js';
import type { ChatFormat } from './chat-format.js';
import type { Drain } from './drain.js';
import { SseWriter } from './sse-writer.js';

export interface ResponderDeps {
  dispatcher: Dispatcher;
  /** Undefined when `server.accessLog` is off or the log level hides info. */
  accessLog: AccessLog | undefined;
  /** Requests in flight, for shutdown: it waits for them, then ends open streams with an event. */
  drain: Drain;
}

/** Answer a chat request (any front door that speaks chat underneath), streaming or not. */
export async function respondChat(
  request: FastifyRequest,
  reply: FastifyReply,
  body: ChatRequest,
  format: ChatFormat,
  deps: ResponderDeps,
): Promise<void> {
  const res = reply.raw;
  const ex = new Exchange(request.id, res);
  const started = Date.now();
  const model = body.model; // dispatch may rewrite body.model to the upstream's id
  const inFlight = deps.drain.enter(ex, reply);
  try {
    if (body.stream) {
      // Errors before the first chunk propagate to the error handler as a JSON error response.
      const stream = await deps.dispatcher.openChat(body, ex);
      reply.hijack();
      const out = new SseWriter(res);
      out.open(reply.getHeaders());
      deps.drain.streaming(inFlight, out);
      await pump(stream, format, ex, out, deps, request);
      deps.accessLog?.record({ reqId: request.id, status: 200, ms: Date.now() - started, model, provider: stream.handle.id, stream: true });
      return;
    }
    let served;
    try {
      served = await deps.dispatcher.complete(body, ex);
    } catch (err) {
      if (reply.sent) return; // shutdown answered it (503 server_shutting_down) and aborted the call
      throw err;
    }
    reply.header('content-type', 'application/json').send(format.completion(served.value));
    deps.accessLog?.record({ reqId: request.id, status: 200, ms: Date.now() - started, model, provider: served.handle.id, stream: false });
  } finally {
    deps.drain.leave(inFlight);
    ex.finish();
  }
}

/**
 * Write a committed stream to the client. After the first byte a failure can only be reported
 * inside the stream: a final error event and no `[DONE]`, so no client takes it for complete.
 */
async function pump(stream: OpenStream, format: ChatFormat, ex: Exchange, out: SseWriter, deps: ResponderDeps, request: FastifyRequest): Promise<void> {
  const first = peekChunk(stream.first);
  if (first.choices?.length && first.choices[0].delta?.role === undefined) {
    // OpenAI streams open with the role; some upstreams skip it and some clients depend on it.
    const role = format.chunk(makeChunk(first, { role: 'assistant', content: '' }));
    if (role !== undefined) out.data(role);
  }
  const text = format.chunk(stream.first);
  if (text !== undefined) out.data(text);
  // The first event goes out at once: a client waits for it, while later events are batched per
  // tick (the pump would otherwise read what else arrived before this write).
  out.flushNow();
  let last = stream.first;
  try {
    for (;;) {
      const next = await stream.rest.next();
      if (next.done) break;
      ex.lastChunkAt = Date.now();
      last = next.value;
      const t = format.chunk(last);
      if (t !== undefined) out.data(t);
      if (out.congested) {
        await out.drained();
        ex.lastChunkAt = Date.now();
      }
    }
    out.done();
    deps.dispatcher.streamDone(stream, last);
  } catch (err) {
    if (ex.clientGone) return;
    const e = deps.dispatcher.streamError(err, stream, ex);
    if (e.id === 'SWB_ERR_INTERNAL') request.log.error({ reqId: request.id, provider: stream.handle.id, model: stream.target.model, code: e.id, err: e }, 'internal error mid-stream');
    else request.log.warn({ reqId: request.id, provider: stream.handle.id, model: stream.target.model, code: e.id, err: e.message }, 'upstream failed mid-stream');
    out.fail(JSON.stringify(e.toEnvelope()));
  } finally {
    // The client left, or something above threw: give the credential back unblamed.
    stream.lease.release();
  }
}
