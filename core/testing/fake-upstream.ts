/**
 * The scripted fake upstream: a real HTTP server on 127.0.0.1 that speaks an author's protocol as
 * far as the conformance checks need. The author says how a reply looks on their wire (the frames
 * of a stream, the non-stream body, the error body); the fake plays the kit's scenarios with it
 * (normal, slow, error status, hang, cut mid-stream), records every chat call and notices when
 * its connection closes. SSE (`text/event-stream`) and NDJSON (one JSON value a line) framings.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { DEFAULT_REPLY, longReply } from './reply.js';
import type { Reply, Scenario, ScriptableUpstream, UpstreamCall } from './upstream.js';

/** An SSE event with a name (`event: message_start`); a plain value in `frames` is a `data:` line alone. */
export class SseFrame {
  constructor(
    readonly event: string | undefined,
    readonly data: unknown,
  ) {}
}

/** `event: <name>` + `data: <json>`, for protocols that name their events (Anthropic). */
export const sseEvent = (event: string, data: unknown): SseFrame => new SseFrame(event, data);

/** One chat call as the scripted fake records it. */
export interface RecordedCall extends UpstreamCall {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  /** The parsed JSON body (undefined when not JSON). */
  body: any;
}

/** How one request of the author's protocol is answered: the request parts the renderers get. */
export interface ProtocolRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: any;
}

export interface UpstreamProtocol {
  framing: 'sse' | 'ndjson';
  /** The chat route: `POST /api/chat`. Calls to it are scripted and recorded. */
  chat: string;
  /** Whether a chat request asks for a stream; default `body.stream === true`. */
  wantsStream?(req: ProtocolRequest): boolean;
  /** Frames before the text (a role frame, `message_start`); default none. */
  start?(reply: Reply, req: ProtocolRequest): unknown[];
  /** The frame carrying one piece of text. */
  text(piece: string, index: number, reply: Reply, req: ProtocolRequest): unknown;
  /** The frames carrying one tool call (needed only for replies with tool calls). */
  toolCall?(call: NonNullable<Reply['toolCalls']>[number], index: number, reply: Reply, req: ProtocolRequest): unknown[];
  /** The final frames: finish reason and usage. */
  end(reply: Reply, req: ProtocolRequest): unknown[];
  /** SSE only: the terminator written after `end` (`[DONE]` for OpenAI-style streams). */
  done?: string;
  /** The non-stream answer's JSON body. */
  json(reply: Reply, req: ProtocolRequest): unknown;
  /** The JSON body of an error answer. */
  error(status: number, message: string, req: ProtocolRequest): unknown;
  /** Other routes (`GET /api/tags`): their JSON answers, status 200. */
  routes?: Record<string, (req: ProtocolRequest) => unknown>;
  /** The content type of a stream; default `text/event-stream` or `application/x-ndjson`. */
  streamContentType?: string;
}

export interface FakeUpstreamOptions {
  /** The reply normal scenarios give; default DEFAULT_REPLY. */
  reply?: Reply;
  /** Appended to the origin as the URL the provider is given (`/v1`); default ''. */
  basePath?: string;
}

export interface FakeUpstream extends ScriptableUpstream {
  readonly calls: readonly RecordedCall[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Start a scripted fake upstream speaking `protocol` on a loopback port. */
export async function fakeUpstream(protocol: UpstreamProtocol, options: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  const calls: RecordedCall[] = [];
  const queue: Scenario[] = [];
  const sockets = new Set<Socket>();
  const wantsStream = protocol.wantsStream ?? ((r: ProtocolRequest) => r.body?.stream === true);

  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (b: Buffer) => parts.push(b));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const text = Buffer.concat(parts).toString('utf8');
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      const r: ProtocolRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body };
      const route = `${r.method} ${r.path}`;
      if (route === protocol.chat) {
        const call: RecordedCall = { ...r, at: Date.now() };
        calls.push(call);
        res.on('close', () => (call.closedAt ??= Date.now()));
        void answer(r, res, queue.shift() ?? { kind: 'reply' }).catch(() => res.destroy());
      } else if (protocol.routes?.[route]) {
        json(res, 200, protocol.routes[route](r));
      } else {
        json(res, 404, protocol.error(404, `no route ${route}`, r));
      }
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  async function answer(r: ProtocolRequest, res: http.ServerResponse, s: Scenario): Promise<void> {
    if (s.kind === 'hang') return;
    if (s.kind === 'status') {
      json(res, s.status, protocol.error(s.status, s.message ?? `scripted ${s.status}`, r), s.headers);
      return;
    }
    const reply = s.kind === 'reply' ? (s.reply ?? options.reply ?? DEFAULT_REPLY) : s.kind === 'slow' ? longReply() : (options.reply ?? DEFAULT_REPLY);
    if (s.kind === 'reply' && !wantsStream(r)) {
      json(res, 200, protocol.json(reply, r));
      return;
    }
    const type = protocol.streamContentType ?? (protocol.framing === 'sse' ? 'text/event-stream; charset=utf-8' : 'application/x-ndjson');
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-cache' });
    const out = frames(reply, r);
    for (let i = 0; i < out.length; i++) {
      if (res.destroyed) return;
      if (s.kind === 'cut' && i === s.afterFrames) {
        await sleep(30); // let the frames already written arrive before the reset
        res.socket?.destroy();
        return;
      }
      res.write(out[i]);
      if (s.kind === 'slow') await sleep(s.delayMs);
    }
    res.end();
  }

  function frames(reply: Reply, r: ProtocolRequest): string[] {
    const values: unknown[] = [...(protocol.start?.(reply, r) ?? [])];
    reply.pieces.forEach((p, i) => values.push(protocol.text(p, i, reply, r)));
    (reply.toolCalls ?? []).forEach((c, i) => {
      if (!protocol.toolCall) throw new Error('this protocol renders no tool calls (UpstreamProtocol.toolCall)');
      values.push(...protocol.toolCall(c, i, reply, r));
    });
    values.push(...protocol.end(reply, r));
    const text = values.map((v) => (protocol.framing === 'ndjson' ? `${JSON.stringify(v)}\n` : sseText(v)));
    if (protocol.framing === 'sse' && protocol.done) text.push(`data: ${protocol.done}\n\n`);
    return text;
  }

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${origin}${options.basePath ?? ''}`,
    calls,
    reply: options.reply ?? DEFAULT_REPLY,
    next: (...s) => void queue.push(...s),
    reset: () => {
      calls.length = 0;
      queue.length = 0;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

function sseText(v: unknown): string {
  if (v instanceof SseFrame) return `${v.event ? `event: ${v.event}\n` : ''}data: ${JSON.stringify(v.data)}\n\n`;
  return `data: ${JSON.stringify(v)}\n\n`;
}

function json(res: http.ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
