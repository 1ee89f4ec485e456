/**
 * A fake GitHub Models upstream (https://models.github.ai) on loopback HTTP, built to the
 * protocol reference of the service. It speaks the wire protocol as recorded from the real
 * service: Azure-flavoured JSON with alphabetically ordered keys, the empty-choices stream prelude,
 * `obfuscation` fields, the rate-limit headers on every 200, both 429 bodies, and the error bodies
 * of the reference's §4. Every request is recorded.
 *
 * Routes: `GET /catalog/models` (no auth needed), `POST /inference/chat/completions`,
 * `POST /orgs/{org}/inference/chat/completions`, `POST /inference/embeddings`,
 * `POST /orgs/{org}/inference/embeddings`; any query (`api-version`) is accepted and recorded.
 *
 * Usage:
 * ```ts
 * const gh = await startFakeGitHubModels({ tokens: ['ghp_a', 'ghp_b'], perMinute: 10 });
 * new OpenAI({ baseURL: gh.inferenceUrl, apiKey: 'ghp_a' });
 * gh.limit('ghp_a', { type: 'day', model: 'gpt-4o-mini', waitSeconds: 5631 }); // until cleared
 * gh.limit('ghp_b', { type: 'minute', body: 'text', count: 1 });              // next request only
 * gh.fail('*', { status: 410 });                                              // every token
 * gh.fail('ghp_b', { status: 'reset', count: 2 });
 * gh.clear();
 * ```
 * Scripts (`limit`, `fail`) are asked in the order they were added; the first whose token (`'*'`:
 * any) and model (either id form) match answers the request. They act after authentication, before
 * the unknown-model check and the real limiters. Each returns a function that removes it.
 *
 * Real limiters (off unless set): `perMinute`, `perDay`, `concurrent`, counted per account and
 * model; an account is the token itself unless `accounts` maps tokens to a shared owner, so tokens
 * of one account share a budget, as on the real service. The rate-limit headers on 200s advertise
 * `advertised` (default 20000 requests / 2000000 tokens, like the real service: generous and not
 * the limits that bite), with `remaining` counting down per account+model in a 60 s window.
 *
 * Genuine per-model rules: models whose capabilities include `reasoning` reject `max_tokens`
 * (`unsupported_parameter`); models without `streaming` reject `stream: true`
 * (`unsupported_value`); prompts over the tier's per-request token limit get 413; a message
 * without content gets the malformed-history 400; chat on an embedding model (and the reverse)
 * gets Azure's 400 `OperationNotSupported` (not in the reference).
 */
import http from 'node:http';
import { onJsonBody } from './json-body.js';
import { randomUUID } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';

/** One item of `GET /catalog/models`, with the fields the reference lists. */
export interface CatalogItem {
  id: string;
  name: string;
  publisher: string;
  registry: string;
  summary: string;
  html_url: string;
  version: string;
  capabilities: string[];
  limits: { max_input_tokens: number; max_output_tokens: number | null };
  rate_limit_tier: 'low' | 'high' | 'custom' | 'embeddings';
  supported_input_modalities: string[];
  supported_output_modalities: string[];
  tags: string[];
}

/** Per-account limits of a tier (the reference's table, Copilot Pro column). */
export interface TierLimits {
  perMinute: number;
  perDay: number;
  concurrent: number;
  /** Largest prompt one request may carry, in (estimated) tokens; more gets 413. */
  maxRequestTokens: number;
}

/** A model the fake serves: its catalog item plus what only the fake needs. */
export interface FakeModel extends CatalogItem {
  /** The dated deployment name answered in `model` (default: the bare id). */
  deployment?: string;
  /** Native embedding size (embedding models; default 1536). */
  dimensions?: number;
  /** Overrides of the tier's limits (they set the N in scripted 429 messages and the 413 limit). */
  tierLimits?: Partial<TierLimits>;
}

export const TIER_LIMITS: Record<CatalogItem['rate_limit_tier'], TierLimits> = {
  low: { perMinute: 15, perDay: 150, concurrent: 5, maxRequestTokens: 8000 },
  high: { perMinute: 10, perDay: 50, concurrent: 2, maxRequestTokens: 8000 },
  embeddings: { perMinute: 15, perDay: 150, concurrent: 5, maxRequestTokens: 64000 },
  custom: { perMinute: 2, perDay: 12, concurrent: 1, maxRequestTokens: 4000 },
};

const item = (id: string, rest: Omit<FakeModel, 'id' | 'publisher' | 'registry' | 'html_url'> & Partial<FakeModel>, slug: string): FakeModel => ({
  id,
  publisher: 'OpenAI',
  registry: 'azure-openai',
  html_url: `https://github.com/marketplace/models/azure-openai/${slug}`,
  ...rest,
});

/** The default catalog. `openai/o1` has no `streaming` capability, so it rejects `stream: true`. */
export const DEFAULT_GITHUB_CATALOG: readonly FakeModel[] = [
  item('openai/gpt-4o-mini', {
    name: 'OpenAI GPT-4o mini', summary: 'An affordable, efficient AI solution for diverse text and image tasks.',
    version: '2024-07-18', capabilities: ['streaming', 'tool-calling'], limits: { max_input_tokens: 131072, max_output_tokens: 4096 },
    rate_limit_tier: 'low', supported_input_modalities: ['text', 'image'], supported_output_modalities: ['text'],
    tags: ['multipurpose', 'multilingual', 'multimodal'], deployment: 'gpt-4o-mini-2024-07-18',
  }, 'gpt-4o-mini'),
  item('openai/gpt-4.1', {
    name: 'OpenAI GPT-4.1', summary: 'gpt-4.1 outperforms gpt-4o across the board, with major gains in coding, instruction following, and long-context understanding',
    version: '2025-04-14', capabilities: ['streaming', 'tool-calling'], limits: { max_input_tokens: 1048576, max_output_tokens: 32768 },
    rate_limit_tier: 'high', supported_input_modalities: ['text', 'image'], supported_output_modalities: ['text'],
    tags: ['multipurpose', 'multilingual', 'multimodal'], deployment: 'gpt-4.1-2025-04-14',
  }, 'gpt-4-1'),
  item('openai/o3-mini', {
    name: 'OpenAI o3-mini', summary: 'o3-mini includes the o1 features with significant cost-efficiencies for scenarios requiring high performance.',
    version: '2025-01-31', capabilities: ['reasoning', 'streaming', 'tool-calling'], limits: { max_input_tokens: 200000, max_output_tokens: 100000 },
    rate_limit_tier: 'custom', supported_input_modalities: ['text'], supported_output_modalities: ['text'],
    tags: ['reasoning', 'multilingual', 'coding'], deployment: 'o3-mini-2025-01-31',
  }, 'o3-mini'),
  item('openai/o1', {
    name: 'OpenAI o1', summary: 'Focused on advanced reasoning and solving complex problems, including math and science tasks.',
    version: '2024-12-17', capabilities: ['reasoning', 'tool-calling'], limits: { max_input_tokens: 200000, max_output_tokens: 100000 },
    rate_limit_tier: 'custom', supported_input_modalities: ['text', 'image'], supported_output_modalities: ['text'],
    tags: ['reasoning', 'multilingual', 'coding'], deployment: 'o1-2024-12-17', tierLimits: { perMinute: 1, perDay: 8 },
  }, 'o1'),
  item('meta/llama-3.3-70b-instruct', {
    name: 'Llama-3.3-70B-Instruct', publisher: 'Meta', registry: 'azureml-meta',
    html_url: 'https://github.com/marketplace/models/azureml-meta/Llama-3-3-70B-Instruct',
    summary: 'Llama 3.3 70B Instruct offers enhanced reasoning, math, and instruction following with performance comparable to Llama 3.1 405B.',
    version: '5', capabilities: ['streaming'], limits: { max_input_tokens: 128000, max_output_tokens: 4096 },
    rate_limit_tier: 'high', supported_input_modalities: ['text'], supported_output_modalities: ['text'],
    tags: ['conversation'], deployment: 'Llama-3.3-70B-Instruct',
  }, 'Llama-3-3-70B-Instruct'),
  item('openai/text-embedding-3-small', {
    name: 'OpenAI Text Embedding 3 (small)', summary: 'Text-embedding-3 series models are the latest and most capable embedding model from OpenAI.',
    version: '1', capabilities: [], limits: { max_input_tokens: 8191, max_output_tokens: null },
    rate_limit_tier: 'embeddings', supported_input_modalities: ['text'], supported_output_modalities: ['embeddings'],
    tags: ['rag', 'search'], dimensions: 1536,
  }, 'text-embedding-3-small'),
];

export type LimitType = 'minute' | 'day' | 'concurrent' | 'user-minute';

/** A scripted 429. */
export interface ScriptedLimit {
  type: LimitType;
  /** Only requests for this model (either id form); default: every model. */
  model?: string;
  /** The wait stated in headers and body. Default: minute 29, day 5631, concurrent 0, user-minute 55. */
  waitSeconds?: number;
  /** The N in "Rate limit of N per ...". Default: the model's tier limit (concurrent: its concurrency). */
  limit?: number;
  /** `text`: the plain-text body while `content-type` still claims JSON. Default `json`. */
  body?: 'json' | 'text';
  /** How many requests get it; default: until cleared. */
  count?: number;
}

/** A scripted failure. Numbers answer the reference's body for that status. */
export interface ScriptedFailure {
  status: 401 | 403 | 410 | 413 | 500 | 502 | 503 | 504 | 'unavailable_model' | 'content_filter' | 'reset' | 'hang' | 'cut' | 'slow';
  /** `cut`: stream this many events (the prelude counts), then drop the connection (default 3). */
  afterEvents?: number;
  /** `slow`: the delay between stream events, ms. */
  delayMs?: number;
  model?: string;
  count?: number;
  /** Replace the body: a string is sent as `text/plain` (`Bad credentials`, say), anything else as JSON. */
  body?: unknown;
}

export interface FakeGitHubModelsOptions {
  /** The catalog served and the models accepted (default `DEFAULT_GITHUB_CATALOG`). */
  models?: readonly FakeModel[];
  /** Valid tokens; others get 401. Default: any non-empty token. */
  tokens?: readonly string[];
  /** Token -> account (user) owning it; limits are per account+model. Default: each token its own. */
  accounts?: Record<string, string>;
  /** Real limiter: requests per account+model per 60 s window, then `UserByModelByMinute`. */
  perMinute?: number;
  /** Real limiter: requests per account+model per 86400 s window, then `UserByModelByDay`. */
  perDay?: number;
  /** Real limiter: requests in flight per account+model, then `UserConcurrentRequests`. */
  concurrent?: number;
  /** Values advertised in `x-ratelimit-limit-*` on 200s. */
  advertised?: { requests: number; tokens: number };
  /** Delay between stream events, ms (default 0). */
  chunkDelayMs?: number;
  /** `x-ms-region` (default `East US 2`). */
  region?: string;
}

export interface GitHubRecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON body; undefined when absent or not JSON. */
  body: Record<string, unknown> | undefined;
  /** The bearer token ('' when none). */
  token: string;
  /** `{org}` of an `/orgs/{org}/...` path. */
  org?: string;
  /** The catalog id the request's model resolved to. */
  model?: string;
  /** Status answered (undefined for resets and hangs). */
  status?: number;
  at: number;
  closedAt?: number;
}

export interface FakeGitHubModels {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  /** `${url}/inference`: the OpenAI SDK's `baseURL`. */
  inferenceUrl: string;
  /** `${url}/orgs/${org}/inference`. */
  orgUrl(org: string): string;
  catalog: readonly FakeModel[];
  requests: GitHubRecordedRequest[];
  /** Script 429s for a token (`'*'`: any). Returns a remover. */
  limit(token: string, limit: ScriptedLimit): () => void;
  /** Script failures for a token (`'*'`: any). Returns a remover. */
  fail(token: string, failure: ScriptedFailure): () => void;
  /** Drop every script (limiter counts stay). */
  clear(): void;
  /** The token of each chat/embeddings request, in arrival order. */
  tokensSeen(): string[];
  close(): Promise<void>;
}

/** The answer to a chat request: `Echo: <last user message>`. */
export function githubReply(body: Record<string, unknown> | undefined): string {
  const msgs = Array.isArray(body?.messages) ? (body.messages as { role?: string; content?: unknown }[]) : [];
  const last = [...msgs].reverse().find((m) => m?.role === 'user');
  return `Echo: ${contentText(last?.content)}`;
}

/** How a reply is cut into stream deltas: words with their leading whitespace. */
export function splitReply(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [text];
}

/** The fake's token estimate: a quarter of the characters, rounded up. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** The fake's prompt count: three tokens per message plus the estimate of its text. */
export function githubPromptTokens(messages: readonly { content?: unknown }[]): number {
  return messages.reduce((n, m) => n + 3 + estimateTokens(contentText(m.content)), 0);
}

/** What `x-ratelimit-limit-*` say on 200s unless `advertised` is given. */
export const DEFAULT_ADVERTISED = { requests: 20000, tokens: 2000000 } as const;

/** The plain-text 429 body (sent with `content-type: application/json`). */
export const TOO_MANY_REQUESTS_TEXT =
  'Too many requests. For more on scraping GitHub and how it may affect your rights, please review our Terms of Service (https://docs.github.com/en/site-policy/github-terms/github-terms-of-service).';

const LIMIT_TYPES: Record<LimitType, { name: string; period: number; wait: number }> = {
  minute: { name: 'UserByModelByMinute', period: 60, wait: 29 },
  day: { name: 'UserByModelByDay', period: 86400, wait: 5631 },
  concurrent: { name: 'UserConcurrentRequests', period: 0, wait: 0 },
  'user-minute': { name: 'UserByMinute', period: 60, wait: 55 },
};

/** "Rate limit of N per Ps exceeded for TYPE. Please wait W seconds before retrying." */
export function rateLimitMessage(type: LimitType, n: number, wait: number): string {
  const t = LIMIT_TYPES[type];
  return `Rate limit of ${n} per ${t.period}s exceeded for ${t.name}. Please wait ${wait} seconds before retrying.`;
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((p: { type?: string; text?: unknown }) => (p?.type === 'text' && typeof p.text === 'string' ? p.text : '')).filter(Boolean).join(' ');
}

const SAFE = { filtered: false, severity: 'safe' };
const UNDETECTED = { detected: false, filtered: false };
const PROMPT_FILTER_RESULTS = [{ prompt_index: 0, content_filter_results: { hate: SAFE, jailbreak: UNDETECTED, self_harm: SAFE, sexual: SAFE, violence: SAFE } }];
const CHOICE_FILTER = { hate: SAFE, protected_material_code: UNDETECTED, protected_material_text: UNDETECTED, self_harm: SAFE, sexual: SAFE, violence: SAFE };
const DELTA_FILTER = { hate: SAFE, self_harm: SAFE, sexual: SAFE, violence: SAFE };
const LATENCY = { engine_tbt_ms: 6, engine_ttft_ms: 32, engine_ttlt_ms: 99, pre_inference_ms: 96, service_tbt_ms: 7, service_ttft_ms: 509, service_ttlt_ms: 568, total_duration_ms: 482, user_visible_ttft_ms: 412 };

const err = (code: string, message: string) => ({ error: { code, message } });
const UNAUTHORIZED = err('unauthorized', 'The `models` permission is required to access this endpoint');
const BROWNOUT = err('github_models_retirement_brownout', 'GitHub Models is temporarily unavailable as part of a scheduled retirement brownout.');
const MALFORMED = { error: { code: 'Bad Request', message: '{"message":"invalid request: all elements in history must have a message."}', status: 400 } };
const CONTENT_FILTERED = {
  error: {
    message: "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry. To learn more about our content filtering policies please read our documentation: https://go.microsoft.com/fwlink/?linkid=2198766",
    type: null, param: 'prompt', code: 'content_filter', status: 400,
    innererror: { code: 'ResponsibleAIPolicyViolation', content_filter_result: { hate: SAFE, jailbreak: UNDETECTED, self_harm: SAFE, sexual: SAFE, violence: { filtered: true, severity: 'medium' } } },
  },
};
const SERVER_ERRORS: Record<number, string> = { 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' };
const invalid = (message: string, param: string | null = null, code: string | null = null) => ({ error: { message, type: 'invalid_request_error', param, code } });
const INVALID_INPUT = invalid("'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.");

const CHAT_PATH = /^(?:\/orgs\/([^/]+))?\/inference\/chat\/completions$/;
const EMBEDDINGS_PATH = /^(?:\/orgs\/([^/]+))?\/inference\/embeddings$/;
const bare = (id: string) => id.slice(id.indexOf('/') + 1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How a scripted stream is played: cut after some events, or slowed down. */
interface StreamShape { cutAfter?: number; delayMs?: number }
interface Script { token: string; model?: string; left: number; answer: ScriptedLimit | ScriptedFailure }
interface Window { start: number; requests: number; tokens: number }
type Answer = { status: number; body: unknown; headers?: Record<string, string> };

export async function startFakeGitHubModels(options: FakeGitHubModelsOptions = {}): Promise<FakeGitHubModels> {
  const catalog = options.models ?? DEFAULT_GITHUB_CATALOG;
  const advertised = options.advertised ?? DEFAULT_ADVERTISED;
  const requests: GitHubRecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let scripts: Script[] = [];
  const windows = new Map<string, Window>();
  const inFlight = new Map<string, number>();
  let seq = 0;

  const resolve = (id: unknown): FakeModel | undefined =>
    typeof id === 'string' ? catalog.find((m) => m.id === id || bare(m.id) === id) : undefined;
  const tier = (m: FakeModel | undefined): TierLimits => ({ ...TIER_LIMITS[m?.rate_limit_tier ?? 'low'], ...m?.tierLimits });
  const isEmbedding = (m: FakeModel) => m.supported_output_modalities.includes('embeddings');

  function window(key: string, periodMs: number, now: number): Window {
    const k = `${periodMs}\u0000${key}`;
    let w = windows.get(k);
    if (!w || now >= w.start + periodMs) windows.set(k, (w = { start: now, requests: 0, tokens: 0 }));
    return w;
  }
  const secondsLeft = (w: Window, periodMs: number, now: number) => Math.max(1, Math.ceil((w.start + periodMs - now) / 1000));

  function commonHeaders(): Record<string, string> {
    seq++;
    const hex = (n: number) => ((seq * 2654435761 + n) >>> 0).toString(16).toUpperCase().padStart(8, '0');
    return { 'x-ms-region': options.region ?? 'East US 2', 'apim-request-id': randomUUID(), 'X-GitHub-Request-Id': `${hex(1).slice(0, 4)}:${hex(2).slice(0, 6)}:${hex(3)}:${hex(4)}:${hex(5)}` };
  }

  function send(rec: GitHubRecordedRequest, res: http.ServerResponse, a: Answer): void {
    const text = typeof a.body === 'string' ? a.body : JSON.stringify(a.body);
    const type = typeof a.body === 'string' && !a.headers?.['x-ms-error-code'] ? 'text/plain; charset=utf-8' : 'application/json';
    rec.status = a.status;
    res.writeHead(a.status, { 'content-type': type, 'content-length': Buffer.byteLength(text), ...commonHeaders(), ...a.headers });
    res.end(text);
  }

  function tooMany(type: LimitType, n: number, wait: number, asText = false): Answer {
    const message = rateLimitMessage(type, n, wait);
    return {
      status: 429,
      body: asText ? TOO_MANY_REQUESTS_TEXT : { error: { code: 'RateLimitReached', message, details: message } },
      headers: { 'Retry-After': String(wait), 'x-ratelimit-timeremaining': String(wait), 'x-ratelimit-type': LIMIT_TYPES[type].name, 'x-ms-error-code': 'RateLimitReached' },
    };
  }

  /** The first matching script's answer; `'reset' | 'hang'` for those failures; a stream's shape for `cut` and `slow`. */
  function scripted(token: string, model: FakeModel | undefined, rawModel: string): Answer | 'reset' | 'hang' | StreamShape | undefined {
    const s = scripts.find((x) => (x.token === '*' || x.token === token) && (!x.model || x.model === model?.id || x.model === rawModel));
    if (!s) return undefined;
    if (--s.left <= 0) scripts = scripts.filter((x) => x !== s);
    const a = s.answer;
    if ('type' in a) {
      const t = tier(model);
      const n = a.limit ?? (a.type === 'day' ? t.perDay : a.type === 'concurrent' ? t.concurrent : t.perMinute);
      return tooMany(a.type, n, a.waitSeconds ?? LIMIT_TYPES[a.type].wait, a.body === 'text');
    }
    if (a.status === 'reset' || a.status === 'hang') return a.status;
    if (a.status === 'cut') return { cutAfter: a.afterEvents ?? 3 };
    if (a.status === 'slow') return { delayMs: a.delayMs ?? 100 };
    const answer = failure(a.status, model, rawModel);
    return a.body === undefined ? answer : { ...answer, body: a.body };
  }

  function failure(status: Exclude<ScriptedFailure['status'], 'reset' | 'hang' | 'cut' | 'slow'>, model: FakeModel | undefined, rawModel: string): Answer {
    switch (status) {
      case 401: return { status, body: UNAUTHORIZED };
      case 403: return { status, body: err('no_access', `No access to model: ${rawModel}`) };
      case 'unavailable_model': return { status: 400, body: err('unavailable_model', `Unavailable model: ${rawModel}`) };
      case 410: return { status, body: BROWNOUT };
      case 413: return { status, body: tooLarge(model, rawModel) };
      case 'content_filter': return { status: 400, body: CONTENT_FILTERED };
      default: return { status, body: err(SERVER_ERRORS[status].toLowerCase().replace(/ /g, '_'), SERVER_ERRORS[status]) };
    }
  }
  const tooLarge = (m: FakeModel | undefined, raw: string) =>
    err('tokens_limit_reached', `Request body too large for ${m ? bare(m.id) : raw} model. Max size: ${tier(m).maxRequestTokens} tokens.`);

  /** The real limiters; undefined when the request may go on. */
  function limiters(key: string, now: number): Answer | undefined {
    if (options.concurrent !== undefined && (inFlight.get(key) ?? 0) >= options.concurrent) return tooMany('concurrent', options.concurrent, 0);
    if (options.perDay !== undefined) {
      const w = window(key, 86_400_000, now);
      if (w.requests >= options.perDay) return tooMany('day', options.perDay, secondsLeft(w, 86_400_000, now));
    }
    if (options.perMinute !== undefined) {
      const w = window(key, 60_000, now);
      if (w.requests >= options.perMinute) return tooMany('minute', options.perMinute, secondsLeft(w, 60_000, now));
    }
    return undefined;
  }

  /** Count an admitted request and return the rate-limit headers for its 200. */
  function admit(key: string, model: FakeModel, tokens: number, res: http.ServerResponse, now: number): Record<string, string> {
    window(key, 86_400_000, now).requests++;
    const w = window(key, 60_000, now);
    w.requests++;
    w.tokens += tokens;
    inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
    res.on('close', () => inFlight.set(key, (inFlight.get(key) ?? 1) - 1));
    const reset = String(secondsLeft(w, 60_000, now));
    return {
      'x-ratelimit-limit-requests': String(advertised.requests),
      'x-ratelimit-remaining-requests': String(Math.max(0, advertised.requests - w.requests)),
      'x-ratelimit-limit-tokens': String(advertised.tokens),
      'x-ratelimit-remaining-tokens': String(Math.max(0, advertised.tokens - w.tokens)),
      'x-ratelimit-renewalperiod-requests': '60',
      'x-ratelimit-renewalperiod-tokens': '60',
      'x-ratelimit-reset-requests': reset,
      'x-ratelimit-reset-tokens': reset,
      'x-ratelimit-key': model.id,
      'x-ratelimit-abusepenalty-active': 'False',
    };
  }

  async function route(rec: GitHubRecordedRequest, req: http.IncomingMessage, res: http.ServerResponse, raw: string): Promise<void> {
    if (rec.method === 'GET' && rec.path === '/catalog/models') return send(rec, res, { status: 200, body: catalog.map(catalogItem) });
    const chat = CHAT_PATH.exec(rec.path);
    const emb = EMBEDDINGS_PATH.exec(rec.path);
    if (rec.method !== 'POST' || (!chat && !emb)) return send(rec, res, { status: 404, body: err('not_found', 'Not Found') });
    rec.org = (chat ?? emb)?.[1];
    if (!rec.token || (options.tokens && !options.tokens.includes(rec.token))) return send(rec, res, { status: 401, body: UNAUTHORIZED });
    if (!rec.body) return send(rec, res, { status: 400, body: raw ? invalid('We could not parse the JSON body of your request.') : MALFORMED });

    const rawModel = typeof rec.body.model === 'string' ? rec.body.model : '';
    const model = resolve(rawModel);
    rec.model = model?.id;
    const s = scripted(rec.token, model, rawModel);
    if (s === 'hang') return;
    if (s === 'reset') return void req.socket.destroy();
    const shape = s && !('status' in s) ? s : undefined;
    if (s && 'status' in s) return send(rec, res, s);
    if (!model) return send(rec, res, { status: 404, body: err('unknown_model', `Unknown model: ${rawModel}`) });
    if (isEmbedding(model) === Boolean(chat)) {
      const op = chat ? 'chatCompletion' : 'embeddings';
      return send(rec, res, { status: 400, body: err('OperationNotSupported', `The ${op} operation does not work with the specified model, ${bare(model.id)}. Please choose different model and try again.`) });
    }
    const now = Date.now();
    const key = `${options.accounts?.[rec.token] ?? rec.token}\u0000${model.id}`;
    const limited = limiters(key, now);
    if (limited) return send(rec, res, limited);
    if (chat) return chatCompletion(rec, res, model, key, now, shape);
    return embeddings(rec, res, model, key, now);
  }

  async function chatCompletion(rec: GitHubRecordedRequest, res: http.ServerResponse, model: FakeModel, key: string, now: number, shape: StreamShape = {}): Promise<void> {
    const body = rec.body!;
    const messages = body.messages;
    if (!Array.isArray(messages) || messages.length === 0 || messages.some((m: { content?: unknown; tool_calls?: unknown }) => !m || (m.content == null && !m.tool_calls))) {
      return send(rec, res, { status: 400, body: MALFORMED });
    }
    if (model.capabilities.includes('reasoning') && body.max_tokens !== undefined) {
      return send(rec, res, { status: 400, body: invalid("Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", 'max_tokens', 'unsupported_parameter') });
    }
    if (body.stream === true && !model.capabilities.includes('streaming')) {
      return send(rec, res, { status: 400, body: invalid("Unsupported value: 'stream' does not support true with this model. Supported values are: false.", 'stream', 'unsupported_value') });
    }
    const promptTokens = githubPromptTokens(messages as { content?: unknown }[]);
    if (promptTokens > tier(model).maxRequestTokens) return send(rec, res, { status: 413, body: tooLarge(model, String(body.model)) });

    let pieces = splitReply(githubReply(body));
    const cap = body.max_completion_tokens ?? body.max_tokens;
    const truncated = typeof cap === 'number' && cap < pieces.length;
    if (truncated) pieces = pieces.slice(0, Math.max(0, cap));
    const finish = truncated ? 'length' : 'stop';
    const usage = {
      completion_tokens: pieces.length,
      completion_tokens_details: { accepted_prediction_tokens: 0, audio_tokens: 0, reasoning_tokens: 0, rejected_prediction_tokens: 0 },
      latency_checkpoint: LATENCY,
      prompt_tokens: promptTokens,
      prompt_tokens_details: { audio_tokens: 0, cached_tokens: 0 },
      total_tokens: promptTokens + pieces.length,
    };
    const headers = admit(key, model, usage.total_tokens, res, now);
    const id = `chatcmpl-Fake${String(++seq).padStart(8, '0')}GhModels`;
    const created = Math.floor(now / 1000);
    const deployment = model.deployment ?? bare(model.id);
    const fingerprint = model.publisher === 'OpenAI' ? 'fp_49e2bef596' : null;

    if (body.stream !== true) {
      const message = { annotations: [], content: pieces.join(''), refusal: null, role: 'assistant' };
      const choice = { content_filter_results: CHOICE_FILTER, finish_reason: finish, index: 0, logprobs: null, message };
      return send(rec, res, {
        status: 200, headers,
        body: { choices: [choice], created, id, model: deployment, object: 'chat.completion', prompt_filter_results: PROMPT_FILTER_RESULTS, service_tier: 'default', system_fingerprint: fingerprint, usage },
      });
    }

    let n = 0;
    const chunk = (filter: object, delta: object, finishReason: string | null, obfuscated: string | null) => ({
      choices: [{ content_filter_results: filter, delta, finish_reason: finishReason, index: 0, logprobs: null }],
      created, id, model: deployment, obfuscation: obfuscated ?? obfuscation(++n), object: 'chat.completion.chunk', service_tier: 'default', system_fingerprint: fingerprint, usage: null,
    });
    const events: unknown[] = [
      { choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: PROMPT_FILTER_RESULTS },
      chunk({}, { content: '', refusal: null, role: 'assistant' }, null, ''),
      ...pieces.map((p) => chunk(DELTA_FILTER, { content: p }, null, null)),
      chunk({}, {}, finish, null),
    ];
    if ((body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true) {
      events.push({ choices: [], created, id, model: deployment, object: 'chat.completion.chunk', service_tier: 'default', system_fingerprint: fingerprint, usage });
    }
    rec.status = 200;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...commonHeaders(), ...headers });
    const all = [...events.map((x) => JSON.stringify(x)), '[DONE]'];
    for (let i = 0; i < all.length; i++) {
      if (res.destroyed) return;
      if (i === shape.cutAfter) {
        await sleep(30); // let the events already written arrive before the reset
        return void res.socket?.destroy();
      }
      res.write(`data: ${all[i]}\n\n`);
      const delay = shape.delayMs ?? options.chunkDelayMs;
      if (delay) await sleep(delay);
    }
    res.end();
  }

  function embeddings(rec: GitHubRecordedRequest, res: http.ServerResponse, model: FakeModel, key: string, now: number): void {
    const body = rec.body!;
    const inputs: unknown[] = Array.isArray(body.input) && typeof body.input[0] !== 'number' ? body.input : [body.input];
    const valid = (x: unknown) => (typeof x === 'string' && x !== '') || (Array.isArray(x) && x.length > 0 && x.every((t) => Number.isInteger(t)));
    if (inputs.length === 0 || inputs.length > 2048 || !inputs.every(valid)) return send(rec, res, { status: 400, body: INVALID_INPUT });
    const native = model.dimensions ?? 1536;
    const dims = body.dimensions ?? native;
    if (typeof dims !== 'number' || !Number.isInteger(dims) || dims < 1 || dims > native) {
      return send(rec, res, { status: 400, body: invalid(`This model does not support specifying dimensions of ${String(dims)}.`, 'dimensions') });
    }
    const format = body.encoding_format ?? 'float';
    if (format !== 'float' && format !== 'base64') return send(rec, res, { status: 400, body: invalid("'$.encoding_format' is invalid.", 'encoding_format') });
    const tokens = inputs.reduce<number>((n, x) => n + (typeof x === 'string' ? estimateTokens(x) : (x as number[]).length), 0);
    if (tokens > tier(model).maxRequestTokens) return send(rec, res, { status: 413, body: tooLarge(model, String(body.model)) });
    const headers = admit(key, model, tokens, res, now);
    const data = inputs.map((x, index) => {
      const v = vector(typeof x === 'string' ? x : JSON.stringify(x), dims);
      return { object: 'embedding', index, embedding: format === 'base64' ? Buffer.from(v.buffer).toString('base64') : Array.from(v) };
    });
    send(rec, res, { status: 200, headers, body: { object: 'list', data, model: model.id, usage: { prompt_tokens: tokens, total_tokens: tokens } } });
  }

  const server = http.createServer((req, res) => {
    onJsonBody(req, (body, raw) => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const token = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
      const rec: GitHubRecordedRequest = { method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body, token, at: Date.now() };
      requests.push(rec);
      res.on('close', () => {
        rec.closedAt = Date.now();
      });
      void route(rec, req, res, raw).catch(() => res.destroy());
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const addScript = (token: string, answer: ScriptedLimit | ScriptedFailure): (() => void) => {
    const s: Script = { token, model: answer.model, left: answer.count ?? Infinity, answer };
    if (s.model) s.model = resolve(s.model)?.id ?? s.model;
    scripts.push(s);
    return () => {
      scripts = scripts.filter((x) => x !== s);
    };
  };

  return {
    url,
    inferenceUrl: `${url}/inference`,
    orgUrl: (org) => `${url}/orgs/${encodeURIComponent(org)}/inference`,
    catalog,
    requests,
    limit: addScript,
    fail: addScript,
    clear: () => {
      scripts = [];
    },
    tokensSeen: () => requests.filter((r) => CHAT_PATH.test(r.path) || EMBEDDINGS_PATH.test(r.path)).map((r) => r.token),
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Only the catalog's fields, in the reference's order (drops the fake's extras). */
function catalogItem(m: FakeModel): CatalogItem {
  const { id, name, publisher, registry, summary, html_url, version, capabilities, limits, rate_limit_tier, supported_input_modalities, supported_output_modalities, tags } = m;
  return { id, name, publisher, registry, summary, html_url, version, capabilities, limits, rate_limit_tier, supported_input_modalities, supported_output_modalities, tags };
}

/** Padding like the real `obfuscation` field: 1-15 letters and digits, varying per chunk. */
function obfuscation(n: number): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  for (let i = 0; i < 1 + ((n * 7) % 15); i++) out += chars[(n * 31 + i * 17) % chars.length];
  return out;
}

/** A deterministic unit vector for a text. */
function vector(text: string, dims: number): Float32Array {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  const v = Float32Array.from({ length: dims }, (_, k) => Math.sin(h + k * 0.7));
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}
