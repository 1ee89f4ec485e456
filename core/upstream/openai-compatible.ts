import type { ChatCompletion, ChatRequest, EmbeddingsRequest, EmbeddingsResponse, ModelInfo } from '../contract/openai.js';
import type { CallContext, Credential, Provider } from '../contract/provider.js';
import { completionToChunks } from '../canonical/chunks.js';
import { RawJson } from '../contract/raw.js';
import { CallSignal } from '../contract/call-signal.js';
import { credentialHeaders } from './credential-headers.js';
import { headerValue } from './header-value.js';
import { createUpstreamDispatcher, requestDirect, requestUpstream } from './http-client.js';
import type { DirectResponse } from './direct-response.js';
import { checkJsonObject, parseJsonObject } from './json-body.js';
import { renameModelField } from './model-field.js';
import { deferredStream } from './deferred-stream.js';
import { openaiSseChunks } from './openai-sse.js';
import { quotaFromHeaders } from './retry-hints.js';

/** How to list an OpenAI-style upstream's models. */
export interface ModelDiscovery {
  /** `GET <baseUrl><path>`; default `/models`. Ignored when `url` is given. */
  path?: string;
  /** An absolute URL instead (a catalog elsewhere); another origin gets its own small connection pool. */
  url?: string;
  /** Give up after this long; default 10 s. */
  timeoutMs?: number;
  /** The models in the answer; default: an OpenAI `{ data: [...] }` list, entries without an id dropped. */
  parse?(text: string, contentType: string): ModelInfo[];
}

/** What makes one OpenAI-style upstream different from another. */
export interface OpenAICompatibleOptions {
  /** The API's base with its path prefix (`https://api.openai.com/v1`); endpoints are appended to it. */
  baseUrl: string;
  /** The provider's credentials; model discovery uses the first. */
  credentials?: readonly Credential[];
  /** Headers sent on every request, over `content-type: application/json`. */
  headers?: Record<string, string>;
  /** A credential's own headers (built once per credential); default `authorization: Bearer <secret>`. */
  credentialHeaders?(credential: Credential): Record<string, string>;
  /** Query parameters for the chat and embeddings requests (`api-version`). */
  query?: Record<string, string>;
  proxyUrl?: string;
  /** Sockets kept to the upstream; default 64. */
  connections?: number;
  keepAliveTimeoutMs?: number;
  connectTimeoutMs?: number;
  /**
   * What a model is called upstream and here: `toUpstream` maps a client's name to the upstream's
   * id (the Provider's `resolveModel`); `fromUpstream` maps ids back in listings and in answers'
   * `model` field.
   */
  modelNames?: { toUpstream?(model: string): string; fromUpstream?(id: string): string };
  /** The body sent for a chat request (`model` and `stream` already set): edit it or return another. */
  rewriteChat?(request: ChatRequest, call: CallContext): object;
  /** The body sent for an embeddings request. */
  rewriteEmbeddings?(request: EmbeddingsRequest, call: CallContext): object;
  /** Edit each streamed event's JSON text (strip an upstream's extra fields). */
  rewriteEvent?(json: string): string;
  /** How to list the models; `false`: the upstream has no listing (configure `models:`). */
  discovery?: ModelDiscovery | false;
  classify?: Provider['classify'];
  rateLimitScope?: Provider['rateLimitScope'];
}

/**
 * A Provider for any upstream that speaks the OpenAI API: requests pass through with only `model`
 * and `stream` set (plus the options' rewrites), answers come back as the upstream wrote them, and
 * OpenAI's rate-limit headers are reported to the pool. A plugin's `create()` can return it as is,
 * or spread it and add what its upstream needs beyond this.
 */
export function openaiCompatible(o: OpenAICompatibleOptions): Provider & { close(): Promise<void> } {
  const url = new URL(o.baseUrl);
  const origin = url.origin;
  const base = url.pathname.replace(/\/+$/, '');
  const query = o.query ? queryString(o.query) : '';
  const chatPath = `${base}/chat/completions${query}`;
  const embeddingsPath = `${base}/embeddings${query}`;
  const client = { proxyUrl: o.proxyUrl, connections: o.connections, keepAliveTimeoutMs: o.keepAliveTimeoutMs, connectTimeoutMs: o.connectTimeoutMs };
  const dispatcher = createUpstreamDispatcher({ baseUrl: o.baseUrl, ...client });
  const headers = credentialHeaders({ 'content-type': 'application/json', ...o.headers }, o.credentialHeaders);
  const fromUpstream = o.modelNames?.fromUpstream;
  const rename = fromUpstream ? (json: string) => renameModelField(json, fromUpstream) : undefined;
  const rewriteEvent = o.rewriteEvent;
  const rewriteChat = o.rewriteChat?.bind(o);
  const rewriteEmbeddings = o.rewriteEmbeddings?.bind(o);
  const onEvent = rename && rewriteEvent ? (json: string) => rename(rewriteEvent(json)) : (rename ?? rewriteEvent);

  /** POST `request`, or what `rewrite` makes of it, as JSON (a rewrite that throws rejects, as the call's failure). */
  const post = async <R>(path: string, request: R, rewrite: ((request: R, call: CallContext) => object) | undefined, call: CallContext) => {
    const body = rewrite ? rewrite(request, call) : request;
    const res = await requestDirect(dispatcher, { origin, path, method: 'POST', headers: headers(call.credential), body: JSON.stringify(body), signal: call.signal });
    // OpenAI-style rate-limit headers tell the pool how much of this key's window is left.
    const quota = quotaFromHeaders(res.headers, Date.now());
    if (quota) call.reportQuota(quota);
    return res;
  };
  /** A JSON answer's text, checked and renamed: no wait for a body that already arrived whole. */
  const jsonAnswer = <T>(res: DirectResponse): RawJson<T> | Promise<RawJson<T>> => {
    const now = res.body.textNow();
    return now !== undefined ? answerOf<T>(res, now) : res.body.text().then((text) => answerOf<T>(res, text));
  };
  const answerOf = <T>(res: DirectResponse, body: string): RawJson<T> => {
    const text = checkJsonObject(body, headerValue(res.headers, 'content-type') ?? '');
    return new RawJson<T>(rename ? rename(text) : text);
  };

  const discovery = o.discovery === false ? undefined : (o.discovery ?? {});
  const target = discovery?.url ? new URL(discovery.url) : undefined;
  const listDispatcher = !target || target.origin === origin ? dispatcher : createUpstreamDispatcher({ baseUrl: target.href, proxyUrl: o.proxyUrl, connections: 2 });

  const provider: Provider & { close(): Promise<void> } = {
    // Not an async generator: its promise hops on every chunk would sit around the SSE reader's.
    chat(request, call) {
      return deferredStream(() => {
        const includeUsage = request.stream_options?.include_usage === true;
        request.stream = true;
        return post(chatPath, request, rewriteChat, call).then((res) => {
          const type = headerValue(res.headers, 'content-type') ?? '';
          if (type.includes('text/event-stream')) return openaiSseChunks(res.body, onEvent);
          // Some servers answer stream requests with one JSON body; replay it as a stream.
          return res.body.text().then((text) => {
            const completion = parseJsonObject<ChatCompletion>(text, type);
            if (fromUpstream && typeof completion.model === 'string') completion.model = fromUpstream(completion.model);
            return completionToChunks(completion, includeUsage);
          });
        });
      });
    },

    // No async frames of their own: each would add a promise and a hop to every request.
    complete(request, call) {
      return post(chatPath, request, rewriteChat, call).then(jsonAnswer<ChatCompletion>);
    },

    embeddings(request, call) {
      return post(embeddingsPath, request, rewriteEmbeddings, call).then(jsonAnswer<EmbeddingsResponse>);
    },

    async listModels(): Promise<ModelInfo[]> {
      if (!discovery) return [];
      const signal = CallSignal.timeout(discovery.timeoutMs ?? 10_000, 'model discovery timed out');
      try {
        const res = await requestUpstream(listDispatcher, {
          origin: target?.origin ?? origin,
          path: target ? target.pathname + target.search : `${base}${discovery.path ?? '/models'}`,
          method: 'GET',
          headers: headers(o.credentials?.[0]),
          signal,
        });
        const text = await res.body.text();
        const type = headerValue(res.headers, 'content-type') ?? '';
        const list = discovery.parse ? discovery.parse(text, type) : openaiModelList(text, type);
        return fromUpstream ? list.map((m) => ({ ...m, id: fromUpstream(m.id) })) : list;
      } finally {
        signal.clear();
      }
    },

    async close() {
      await dispatcher.close();
      if (listDispatcher !== dispatcher) await listDispatcher.close();
    },
  };
  if (o.modelNames?.toUpstream) provider.resolveModel = o.modelNames.toUpstream;
  if (o.classify) provider.classify = o.classify;
  if (o.rateLimitScope) (provider as { rateLimitScope?: Provider['rateLimitScope'] }).rateLimitScope = o.rateLimitScope;
  return provider;
}

/** `GET /models` as OpenAI answers it (`{ data: [...] }`; a few servers send the bare list). */
export function openaiModelList(text: string, contentType: string): ModelInfo[] {
  const body = parseJsonObject<{ data?: ModelInfo[] } | ModelInfo[]>(text, contentType);
  const list = Array.isArray(body) ? body : (body.data ?? []);
  return list.filter((m) => m && typeof m.id === 'string');
}

/** `?a=1&b=2`, each part percent-encoded; '' for no parameters. */
function queryString(params: Record<string, string>): string {
  const parts = Object.entries(params).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  return parts.length ? `?${parts.join('&')}` : '';
}
