import {
  CONTRACT_VERSION,
  bearerHeaders,
  CallSignal,
  RawJson,
  checkJsonObject,
  completionToChunks,
  createUpstreamDispatcher,
  defineProvider,
  openaiSseChunks,
  parseJsonObject,
  quotaFromHeaders,
  requestUpstream,
  type CallContext,
  type ChatChunk,
  type ChatCompletion,
  type ChatRequest,
  type Credential,
  type ModelInfo,
} from '../../core/index.js';
import { classifyGitHub } from './classify.js';
import { ModelNames, parseCatalog, toModelInfo } from './models.js';

interface Options {
  baseUrl: string;
  catalogUrl?: string;
  org?: string;
  apiVersion?: string;
  headers?: Record<string, string>;
  proxyUrl?: string;
  connections: number;
  discoveryTimeoutMs: number;
}

// Each content delta carries an `obfuscation` padding string: noise to every client, so it goes.
const OBFUSCATION = /,"obfuscation":"[^"]*"/;
const stripObfuscation = (json: string) => (json.indexOf('"obfuscation"') === -1 ? json : json.replace(OBFUSCATION, ''));

/**
 * GitHub Models (models.github.ai): OpenAI-style inference with publisher-prefixed model ids,
 * per-account limits and a catalog. Tokens come from the pool; this plugin only knows the
 * protocol (docs/providers/github-models.md) and how GitHub says what went wrong.
 */
export default defineProvider<Options>({
  kind: 'provider',
  contractVersion: CONTRACT_VERSION,
  name: 'github-models',
  optionsSchema: {
    type: 'object',
    properties: {
      baseUrl: { type: 'string', pattern: '^https?://', default: 'https://models.github.ai/inference' },
      catalogUrl: { type: 'string', pattern: '^https?://' },
      org: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9-]*$' },
      apiVersion: { type: 'string', minLength: 1 },
      headers: { type: 'object', additionalProperties: { type: 'string' } },
      proxyUrl: { type: 'string', pattern: '^https?://' },
      connections: { type: 'integer', minimum: 1, default: 32 },
      discoveryTimeoutMs: { type: 'integer', minimum: 1, default: 10_000 },
    },
  },
  // What the GitHub Models proxy its users come from did, minus its flaws (docs/providers/github-models.md).
  defaults: {
    throttle: { minIntervalMs: 2000, scope: 'model' },
    // The seed retried minute limits at 1, 2 and 4 s: here, wait up to 7 s for a token to free.
    pool: { waitForCooldownMs: 7000 },
    retry: { attempts: 4, initialDelayMs: 1000, maxDelayMs: 8000 },
    breaker: { consecutiveFailures: 10, halfOpenAfterMs: 60_000 },
  },
  create({ options, credentials }) {
    const url = new URL(options.baseUrl);
    const origin = url.origin;
    // `org` bills an organisation: /orgs/{org}/inference instead of /inference.
    const base = options.org ? url.pathname.replace(/\/inference\/?$/, `/orgs/${options.org}/inference`) : url.pathname.replace(/\/+$/, '');
    const query = options.apiVersion ? `?api-version=${encodeURIComponent(options.apiVersion)}` : '';
    const catalog = new URL(options.catalogUrl ?? `${origin}/catalog/models`);
    const dispatcher = createUpstreamDispatcher({ baseUrl: options.baseUrl, proxyUrl: options.proxyUrl, connections: options.connections });
    const catalogDispatcher =
      catalog.origin === origin ? dispatcher : createUpstreamDispatcher({ baseUrl: catalog.href, proxyUrl: options.proxyUrl, connections: 2 });
    const names = new ModelNames();

    const anonymous = { 'content-type': 'application/json', accept: 'application/json', 'x-github-api-version': '2022-11-28', ...options.headers };
    const headers = bearerHeaders(anonymous);

    const post = async (path: string, body: Record<string, unknown>, call: CallContext) => {
      const res = await requestUpstream(dispatcher, {
        origin,
        path: `${base}${path}${query}`,
        method: 'POST',
        headers: headers(call.credential),
        body: JSON.stringify(body),
        signal: call.signal,
      });
      const quota = quotaFromHeaders(res.headers, Date.now());
      if (quota) call.reportQuota(quota);
      return res;
    };

    /** The request as GitHub wants it: `max_completion_tokens` for reasoning models (the core already set the catalog id). */
    function prepare(request: ChatRequest): ChatRequest {
      if (request.max_tokens != null && request.max_completion_tokens == null && names.needsCompletionTokens(request.model)) {
        request.max_completion_tokens = request.max_tokens;
        delete request.max_tokens;
      }
      return request;
    }

    async function* chat(request: ChatRequest, call: CallContext): AsyncGenerator<ChatChunk> {
      const includeUsage = request.stream_options?.include_usage === true;
      request.stream = true;
      const res = await post('/chat/completions', prepare(request) as unknown as Record<string, unknown>, call);
      const type = String(res.headers['content-type'] ?? '');
      if (type.includes('text/event-stream')) {
        yield* openaiSseChunks(res.body, stripObfuscation);
        return;
      }
      yield* completionToChunks(parseJsonObject<ChatCompletion>(await res.body.text(), type), includeUsage);
    }

    return {
      rateLimitScope: 'model',
      resolveModel: (model: string) => names.upstreamId(model),
      chat,

      async complete(request, call) {
        const res = await post('/chat/completions', prepare(request) as unknown as Record<string, unknown>, call);
        return new RawJson<ChatCompletion>(checkJsonObject(await res.body.text(), String(res.headers['content-type'] ?? '')));
      },

      async embeddings(request, call) {
        const res = await post('/embeddings', request as unknown as Record<string, unknown>, call);
        return new RawJson(checkJsonObject(await res.body.text(), String(res.headers['content-type'] ?? '')));
      },

      classify: classifyGitHub,

      async listModels(): Promise<ModelInfo[]> {
        const signal = new CallSignal();
        const timer = setTimeout(() => signal.abort(new Error('model discovery timed out')), options.discoveryTimeoutMs);
        try {
          const res = await requestUpstream(catalogDispatcher, {
            origin: catalog.origin,
            path: catalog.pathname + catalog.search,
            method: 'GET',
            headers: headers(credentials[0]),
            signal,
          });
          const list = toModelInfo(parseCatalog(await res.body.text()));
          names.update(list);
          return list;
        } finally {
          clearTimeout(timer);
        }
      },

      async close() {
        await dispatcher.close();
        if (catalogDispatcher !== dispatcher) await catalogDispatcher.close();
      },
    };
  },
});
