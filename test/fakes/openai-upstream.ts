/**
 * A fake OpenAI-compatible upstream on loopback HTTP. It speaks the real wire protocol (JSON
 * bodies, `text/event-stream` with `data: ...\n\n` and `data: [DONE]`, OpenAI error envelopes)
 * and can be scripted per request to misbehave: error statuses, hangs, resets, broken frames.
 * Every request is recorded, including when its socket closed.
 */
import http from 'node:http';
import { onJsonBody } from './json-body.js';
import type { AddressInfo } from 'node:net';
import { ruleList } from './rules.js';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown> | undefined;
  at: number;
  /** When the client's socket for this request closed (set on close). */
  closedAt?: number;
}

/** What the fake does with one request. */
export type Behaviour =
  /** answer normally; `headers` go on the response (rate-limit headers, say) */
  | { kind: 'ok'; text?: string; headers?: Record<string, string> }
  /** stream slowly: each event `delayMs` after the last */
  | { kind: 'drip'; delayMs: number }
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  /** accept the request and never answer */
  | { kind: 'hang' }
  /** stream: send the role chunk and the first content chunk, then go silent */
  | { kind: 'stall-after-first' }
  /** stream: send some chunks, then cut the connection */
  | { kind: 'cut-after'; chunks: number }
  /** destroy the socket without answering */
  | { kind: 'reset' }
  /** write these exact pieces (with `contentType`), each as its own write */
  | { kind: 'raw'; contentType: string; pieces: readonly (string | Buffer)[]; status?: number }
  /** answer with a tool call: whole without streaming, or streamed, its arguments in fragments of `piece` characters (7 by default) */
  | { kind: 'tool-call'; name: string; args: string; piece?: number }
  /** answer with reasoning first, as DeepSeek and vLLM send it (`reasoning_content`), then the text */
  | { kind: 'reasoning'; reasoning: string; text?: string }
  /** stream with an Azure-style empty-choices prelude first */
  | { kind: 'prelude'; text?: string }
  /** stream each event's JSON pretty-printed, one `data:` line per line (legal SSE: they join with `\n`) */
  | { kind: 'multiline-data'; text?: string };

export interface FakeOpenAIOptions {
  /** Models listed at GET /models. */
  models?: string[];
  /** Delay between stream events, ms. */
  chunkDelayMs?: number;
  /** Required bearer token; requests without it get 401. */
  apiKey?: string;
}

/** Decides one request's behaviour from the request itself (its key, its model); undefined: next rule. */
export type Rule = (req: RecordedRequest) => Behaviour | undefined;

export interface FakeOpenAI {
  /** Base URL including `/v1`. */
  url: string;
  requests: RecordedRequest[];
  /** Queue behaviours for the next chat/embeddings requests, in order; then `ok` again. */
  script(...behaviours: Behaviour[]): void;
  /**
   * Add a standing rule, asked before the script on every chat/embeddings request (for example:
   * this key always gets 429). Returns a function that removes it.
   */
  rule(rule: Rule): () => void;
  /** A rule for requests carrying one of `keys` as their bearer token; returns its remover. */
  whenKey(keys: readonly string[], behaviour: Behaviour): () => void;
  /** The bearer token each chat/embeddings request carried, in arrival order. */
  keysSeen(): string[];
  /** Forget the requests, the scripted behaviours and the rules: a clean fake for the next test. */
  reset(): void;
  close(): Promise<void>;
}

/** The bearer token a recorded request carried ('' without one). */
export function bearerOf(r: RecordedRequest): string {
  return String(r.headers.authorization ?? '').replace(/^Bearer /, '');
}

/** The text the fake answers with by default: derived from the request, so tests can predict it. */
export function defaultReply(body: Record<string, unknown> | undefined): string {
  const msgs = (body?.messages ?? []) as { role: string; content: unknown }[];
  const last = [...msgs].reverse().find((m) => m.role === 'user');
  const text = typeof last?.content === 'string' ? last.content : '';
  return `You said: ${text} — and that is all.`;
}

/** Split text into stream pieces: words with their leading space, plus one multi-byte piece. */
export function splitForStream(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [text];
}

/**
 * The usage the fake reports for a chat request answered with `text`: a quarter of the messages'
 * JSON length as prompt tokens, one completion token per stream piece. Exported so tests can
 * expect exact counts.
 */
export function fakeUsage(body: Record<string, unknown> | undefined, text = defaultReply(body)): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  const prompt = JSON.stringify(body?.messages ?? []).length >> 2;
  const completion = splitForStream(text).length;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const requests: RecordedRequest[] = [];
  const queue: Behaviour[] = [];
  const { rules, add: addRule } = ruleList<Rule>();
  const sockets = new Set<import('node:net').Socket>();
  const models = options.models ?? ['gpt-4o-mini', 'gpt-4o', 'text-embedding-3-small'];
  const delay = options.chunkDelayMs ?? 0;
  let seq = 0;

  const server = http.createServer((req, res) => {
    onJsonBody(req, (body) => {
      const path = (req.url ?? '/').split('?')[0];
      const rec: RecordedRequest = { method: req.method ?? 'GET', path, headers: req.headers, body, at: Date.now() };
      requests.push(rec);
      res.on('close', () => {
        rec.closedAt = Date.now();
      });
      void route(rec, req, res).catch(() => res.destroy());
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  async function route(rec: RecordedRequest, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      return json(res, 401, { error: { message: 'Incorrect API key provided: sk-...', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } });
    }
    if (rec.method === 'GET' && rec.path === '/v1/models') {
      return json(res, 200, { object: 'list', data: models.map((id) => ({ id, object: 'model', created: 1700000000, owned_by: 'fake-openai' })) });
    }
    if (rec.method === 'POST' && (rec.path === '/v1/chat/completions' || rec.path === '/v1/embeddings')) {
      let b: Behaviour | undefined;
      for (const r of rules) if ((b = r(rec))) break;
      b ??= queue.shift() ?? { kind: 'ok' };
      if (b.kind === 'status') {
        res.writeHead(b.status, { 'content-type': 'application/json', ...b.headers });
        res.end(typeof b.body === 'string' ? b.body : JSON.stringify(b.body ?? { error: { message: `fake error ${b.status}`, type: 'server_error', param: null, code: null } }));
        return;
      }
      if (b.kind === 'hang') return;
      if (b.kind === 'reset') {
        req.socket.destroy();
        return;
      }
      if (b.kind === 'raw') {
        res.writeHead(b.status ?? 200, { 'content-type': b.contentType });
        for (const p of b.pieces) {
          res.write(p);
          await sleep(delay || 1);
        }
        res.end();
        return;
      }
      if (rec.path === '/v1/embeddings') return embeddings(res, rec.body ?? {});
      return chat(res, rec.body ?? {}, b);
    }
    json(res, 404, { error: { message: `Invalid URL (${rec.method} ${rec.path})`, type: 'invalid_request_error', param: null, code: null } });
  }

  async function chat(res: http.ServerResponse, body: Record<string, unknown>, b: Behaviour): Promise<void> {
    const model = String(body.model);
    if (!models.includes(model)) {
      return json(res, 404, { error: { message: `The model \`${model}\` does not exist or you do not have access to it.`, type: 'invalid_request_error', param: null, code: 'model_not_found' } });
    }
    const id = `chatcmpl-fake${++seq}`;
    const created = 1700000000 + seq;
    const text = (b.kind === 'ok' || b.kind === 'prelude' || b.kind === 'multiline-data' || b.kind === 'reasoning' ? b.text : undefined) ?? defaultReply(body);
    const reasoning = b.kind === 'reasoning' ? b.reasoning : undefined;
    const usage = fakeUsage(body, text);
    const extraHeaders = b.kind === 'ok' ? b.headers : undefined;
    if (body.stream !== true && b.kind === 'tool-call') {
      const message = { role: 'assistant', content: null, refusal: null, tool_calls: [{ id: 'call_fake1', type: 'function', function: { name: b.name, arguments: b.args } }] };
      return json(res, 200, { id, object: 'chat.completion', created, model, choices: [{ index: 0, message, logprobs: null, finish_reason: 'tool_calls' }], usage, system_fingerprint: 'fp_fake' });
    }
    if (body.stream !== true) {
      return json(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null, ...(reasoning ? { reasoning_content: reasoning } : {}) }, logprobs: null, finish_reason: 'stop' }],
        usage,
        system_fingerprint: 'fp_fake',
      }, extraHeaders);
    }
    const head = { id, object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_fake' };
    const frame =
      b.kind === 'multiline-data'
        ? (json: unknown) => `${JSON.stringify(json, null, 2).split('\n').map((line) => `data: ${line}`).join('\n')}\n\n`
        : (json: unknown) => `data: ${JSON.stringify(json)}\n\n`;
    const event = (choices: unknown[], extra: Record<string, unknown> = {}) => frame({ ...head, choices, ...extra });
    const delta = (d: Record<string, unknown>, finish: string | null = null) => event([{ index: 0, delta: d, logprobs: null, finish_reason: finish }]);
    const events: string[] = [];
    if (b.kind === 'prelude') {
      events.push(`data: ${JSON.stringify({ choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: [{ prompt_index: 0, content_filter_results: {} }] })}\n\n`);
    }
    events.push(delta({ role: 'assistant', content: '', refusal: null }));
    if (b.kind === 'tool-call') {
      events.push(delta({ tool_calls: [{ index: 0, id: 'call_fake1', type: 'function', function: { name: b.name, arguments: '' } }] }));
      const piece = b.piece ?? 7;
      for (let i = 0; i < b.args.length; i += piece) events.push(delta({ tool_calls: [{ index: 0, function: { arguments: b.args.slice(i, i + piece) } }] }));
      events.push(delta({}, 'tool_calls'));
    } else {
      if (reasoning) for (const piece of splitForStream(reasoning)) events.push(delta({ reasoning_content: piece }));
      for (const piece of splitForStream(text)) events.push(delta({ content: piece }));
      events.push(delta({}, 'stop'));
    }
    if ((body.stream_options as { include_usage?: boolean } | undefined)?.include_usage) events.push(event([], { usage }));
    events.push('data: [DONE]\n\n');

    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...extraHeaders });
    const gap = b.kind === 'drip' ? b.delayMs : delay;
    for (let i = 0; i < events.length; i++) {
      if (res.destroyed) return;
      if (b.kind === 'stall-after-first' && i === 2) return; // role + first content sent
      if (b.kind === 'cut-after' && i === b.chunks) {
        await sleep(30); // let the sent chunks arrive before the reset
        res.socket?.destroy();
        return;
      }
      res.write(events[i]);
      if (gap) await sleep(gap);
    }
    res.end();
  }

  function embeddings(res: http.ServerResponse, body: Record<string, unknown>): void {
    const inputs = Array.isArray(body.input) && typeof body.input[0] !== 'number' ? body.input : [body.input];
    const dims = typeof body.dimensions === 'number' ? body.dimensions : 8;
    const data = inputs.map((input, index) => {
      const seed = JSON.stringify(input).length;
      const v = Float32Array.from({ length: dims }, (_, k) => ((seed + k) % 10) / 10);
      const embedding = body.encoding_format === 'base64' ? Buffer.from(v.buffer).toString('base64') : Array.from(v);
      return { object: 'embedding', index, embedding };
    });
    json(res, 200, { object: 'list', data, model: body.model, usage: { prompt_tokens: inputs.length, total_tokens: inputs.length } });
  }


  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    script: (...b) => queue.push(...b),
    rule: addRule,
    whenKey: (keys, behaviour) => addRule((r) => (keys.includes(bearerOf(r)) ? behaviour : undefined)),
    keysSeen: () => requests.filter((r) => r.method === 'POST').map(bearerOf),
    reset: () => {
      requests.length = 0;
      queue.length = 0;
      rules.length = 0;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

function json(res: http.ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
