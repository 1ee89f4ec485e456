/**
 * A fake Anthropic API on loopback HTTP. It speaks the Messages wire format (JSON answers, SSE
 * with `event:` names, the `{"type":"error","error":{...}}` envelope, `request-id` and
 * `anthropic-ratelimit-*` headers), checks `x-api-key` and `anthropic-version` and the body's
 * shape as the real API does (unknown top-level fields are refused, as there), and can be scripted
 * per request to misbehave. Every request is recorded with its raw body text.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { onJsonBody } from './json-body.js';
import { checkMessagesBody, type Body } from './anthropic-checks.js';
import { answer, anthropicInputTokens, events, id, type Message, type OkAnswer } from './anthropic-answer.js';
import { ruleList } from './rules.js';

export { anthropicInputTokens, anthropicReply, FAKE_SIGNATURE, pieces } from './anthropic-answer.js';

export interface AnthropicRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: Body | undefined;
  /** The body exactly as it arrived. */
  raw: string;
  at: number;
  closedAt?: number;
  /** What the fake answered a successful `POST /v1/messages` with: the JSON body, or every SSE frame it wrote. */
  sent?: string;
}

/** What the fake does with one `POST /v1/messages`. */
export type Behaviour =
  /** answer: `text` (default: derived from the request), a `tool` call, extra response `headers`; a stream's events `delayMs` apart (default 1) */
  | ({ kind: 'ok'; headers?: Record<string, string>; delayMs?: number } & OkAnswer)
  /** an error answer in Anthropic's envelope */
  | { kind: 'error'; status: number; type: string; message?: string; headers?: Record<string, string> }
  /** accept the request and never answer */
  | { kind: 'hang' }
  /** stream: send this many events, then cut the connection */
  | { kind: 'cut-after'; events: number }
  /** stream: send this many events, then an `event: error` (as the real API does when overloaded mid-answer) */
  | { kind: 'stream-error'; events: number; type: string; message?: string };

export type Rule = (req: AnthropicRequest) => Behaviour | undefined;

export interface FakeAnthropicOptions {
  /** Keys accepted in `x-api-key`; default: any non-empty key. */
  keys?: readonly string[];
  models?: readonly string[];
}

export interface FakeAnthropic {
  /** The origin, what the provider takes as `baseUrl` (the API's paths start with /v1). */
  url: string;
  requests: AnthropicRequest[];
  /** The `POST /v1/messages` requests only. */
  messages(): AnthropicRequest[];
  script(...behaviours: Behaviour[]): void;
  rule(rule: Rule): () => void;
  whenKey(keys: readonly string[], behaviour: Behaviour): () => void;
  /** The `x-api-key` of each `POST /v1/messages`, in arrival order. */
  keysSeen(): string[];
  reset(): void;
  close(): Promise<void>;
}

export const FAKE_CLAUDE_MODELS = ['claude-sonnet-4-5-20250929', 'claude-opus-4-1-20250805', 'claude-haiku-4-5-20251001'];
/** A 429 as Anthropic sends it: `retry-after` and the `anthropic-ratelimit-requests-*` headers (reset in RFC 3339). */
export function rateLimited(retryAfterS = 30, now = Date.now()): Behaviour {
  const reset = new Date(now + retryAfterS * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    kind: 'error',
    status: 429,
    type: 'rate_limit_error',
    message: 'This request would exceed the rate limit for your organization of 50 requests per minute.',
    headers: {
      'retry-after': String(retryAfterS),
      'anthropic-ratelimit-requests-limit': '50',
      'anthropic-ratelimit-requests-remaining': '0',
      'anthropic-ratelimit-requests-reset': reset,
    },
  };
}

export const overloaded: Behaviour = { kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' };

/**
 * The key a request carried: `x-api-key`, or `Authorization: Bearer` (the API takes both; the
 * SDK since 1.x sends its `apiKey` as a Bearer token). '' without one.
 */
export function keyOf(r: AnthropicRequest): string {
  const key = r.headers['x-api-key'];
  if (typeof key === 'string' && key) return key;
  return String(r.headers.authorization ?? '').replace(/^Bearer /, '');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startFakeAnthropic(options: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  const requests: AnthropicRequest[] = [];
  const queue: Behaviour[] = [];
  const { rules, add: addRule } = ruleList<Rule>();
  const sockets = new Set<import('node:net').Socket>();
  const models = options.models ?? FAKE_CLAUDE_MODELS;

  const server = http.createServer((req, res) => {
    onJsonBody(req, (body, raw) => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const rec: AnthropicRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body, raw, at: Date.now() };
      requests.push(rec);
      res.on('close', () => (rec.closedAt = Date.now()));
      void route(rec, req, res).catch(() => res.destroy());
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  async function route(rec: AnthropicRequest, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const key = keyOf(rec);
    if (!key) return error(res, 401, 'authentication_error', 'x-api-key header is required');
    if (options.keys && !options.keys.includes(key)) return error(res, 401, 'authentication_error', 'invalid x-api-key');
    if (!req.headers['anthropic-version']) return error(res, 400, 'invalid_request_error', 'anthropic-version: header is required');
    if (rec.method === 'GET' && rec.path === '/v1/models') return listModels(rec, res);
    const counting = rec.path === '/v1/messages/count_tokens';
    if (rec.method !== 'POST' || (rec.path !== '/v1/messages' && !counting)) return error(res, 404, 'not_found_error', 'Not Found');
    if (rec.body === undefined) return error(res, 400, 'invalid_request_error', rec.raw ? 'There was an error parsing the body of your request' : 'messages: Field required');
    const problem = checkMessagesBody(rec.body, counting);
    if (problem) return error(res, 400, 'invalid_request_error', problem);
    if (!models.includes(String(rec.body.model))) return error(res, 404, 'not_found_error', `model: ${String(rec.body.model)}`);
    if (counting) return json(res, 200, { input_tokens: anthropicInputTokens(rec.body) });

    let b: Behaviour | undefined;
    for (const r of rules) if ((b = r(rec))) break;
    b ??= queue.shift() ?? { kind: 'ok' };
    if (b.kind === 'hang') return;
    if (b.kind === 'error') return error(res, b.status, b.type, b.message ?? `fake ${b.type}`, b.headers);
    const message = answer(rec.body, b.kind === 'ok' ? b : {});
    const headers = { ...quotaHeaders(), ...(b.kind === 'ok' ? b.headers : undefined) };
    if (rec.body.stream !== true) {
      rec.sent = JSON.stringify(message);
      return json(res, 200, message, headers);
    }
    await stream(res, message, b, headers, rec);
  }

  function listModels(rec: AnthropicRequest, res: http.ServerResponse): void {
    const limit = Number(rec.query.get('limit') ?? 20);
    const after = rec.query.get('after_id');
    const start = after ? models.indexOf(after) + 1 : 0;
    const page = models.slice(start, start + limit);
    json(res, 200, {
      data: page.map((m, i) => ({ type: 'model', id: m, display_name: displayName(m), created_at: new Date(Date.UTC(2025, 9, 1 - i)).toISOString().replace('.000', '') })),
      has_more: start + limit < models.length,
      first_id: page[0] ?? null,
      last_id: page.at(-1) ?? null,
    });
  }


  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const messages = () => requests.filter((r) => r.method === 'POST' && r.path === '/v1/messages');
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    messages,
    script: (...b) => queue.push(...b),
    rule: addRule,
    whenKey: (keys, behaviour) => addRule((r) => (keys.includes(keyOf(r)) ? behaviour : undefined)),
    keysSeen: () => messages().map(keyOf),
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

async function stream(res: http.ServerResponse, m: Message, b: Behaviour, headers: Record<string, string>, rec: AnthropicRequest): Promise<void> {
  rec.sent = '';
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'request-id': id('req_'), ...headers });
  const all = events(m);
  for (let i = 0; i < all.length; i++) {
    if (res.destroyed) return;
    if (b.kind === 'cut-after' && i === b.events) {
      await sleep(30); // let the sent events arrive before the reset
      res.socket?.destroy();
      return;
    }
    if (b.kind === 'stream-error' && i === b.events) {
      res.end(frame('error', { type: 'error', error: { type: b.type, message: b.message ?? 'Overloaded' }, request_id: id('req_') }));
      return;
    }
    const text = frame(...all[i]);
    rec.sent += text;
    res.write(text);
    await sleep(b.kind === 'ok' ? (b.delayMs ?? 1) : 1);
  }
  res.end();
}

const frame = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

function quotaHeaders(): Record<string, string> {
  const reset = new Date(Date.now() + 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    'anthropic-ratelimit-requests-limit': '50',
    'anthropic-ratelimit-requests-remaining': '49',
    'anthropic-ratelimit-requests-reset': reset,
    'anthropic-ratelimit-tokens-limit': '40000',
    'anthropic-ratelimit-tokens-remaining': '39000',
    'anthropic-ratelimit-tokens-reset': reset,
  };
}

function displayName(model: string): string {
  const [, family, major, minor] = /^claude-(\w+)-(\d+)-(\d+)/.exec(model) ?? [];
  return family ? `Claude ${family[0].toUpperCase()}${family.slice(1)} ${major}.${minor}` : model;
}

function error(res: http.ServerResponse, status: number, type: string, message: string, headers?: Record<string, string>): void {
  json(res, status, { type: 'error', error: { type, message }, request_id: id('req_') }, headers);
}

function json(res: http.ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'request-id': id('req_'), ...headers });
  res.end(text);
}
