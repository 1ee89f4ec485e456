import {
  CONTRACT_VERSION,
  bearerHeaders,
  CallSignal,
  RawJson,
  UpstreamError,
  completionToChunks,
  checkJsonObject,
  createUpstreamDispatcher,
  openaiSseChunks,
  parseJsonObject,
  defineProvider,
  quotaFromHeaders,
  requestUpstream,
  type CallContext,
  type ChatChunk,
  type ChatCompletion,
  type ChatRequest,
  type Credential,
  type ModelInfo,
} from '../../core/index.js';

interface Options {
  baseUrl: string;
  headers?: Record<string, string>;
  proxyUrl?: string;
  connections: number;
  keepAliveTimeoutMs: number;
  connectTimeoutMs: number;
  discoveryTimeoutMs: number;
}

/**
 * Any upstream that speaks the OpenAI API: OpenAI, Groq, OpenRouter, Together, vLLM, Ollama,
 * llama.cpp, LM Studio. Requests pass through with only `model` (and `stream`) set; answers come
 * back as the upstream wrote them.
 */
export default defineProvider<Options>({
  kind: 'provider',
  contractVersion: CONTRACT_VERSION,
  name: 'openai-compatible',
  optionsSchema: {
    type: 'object',
    required: ['baseUrl'],
    properties: {
      baseUrl: { type: 'string', pattern: '^https?://' },
      headers: { type: 'object', additionalProperties: { type: 'string' } },
      proxyUrl: { type: 'string', pattern: '^https?://' },
      connections: { type: 'integer', minimum: 1, default: 64 },
      keepAliveTimeoutMs: { type: 'integer', minimum: 1, default: 30_000 },
      connectTimeoutMs: { type: 'integer', minimum: 1, default: 10_000 },
      discoveryTimeoutMs: { type: 'integer', minimum: 1, default: 10_000 },
    },
  },
  create({ options, credentials }) {
    const url = new URL(options.baseUrl);
    const origin = url.origin;
    const base = url.pathname.replace(/\/+$/, '');
    const dispatcher = createUpstreamDispatcher({
      baseUrl: options.baseUrl,
      proxyUrl: options.proxyUrl,
      connections: options.connections,
      keepAliveTimeoutMs: options.keepAliveTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs,
    });
    const headers = bearerHeaders({ 'content-type': 'application/json', ...options.headers });
    const post = async (path: string, body: unknown, call: CallContext) => {
      const res = await requestUpstream(dispatcher, { origin, path: base + path, method: 'POST', headers: headers(call.credential), body: JSON.stringify(body), signal: call.signal });
      // OpenAI-style rate-limit headers tell the pool how much of this key's window is left.
      const quota = quotaFromHeaders(res.headers, Date.now());
      if (quota) call.reportQuota(quota);
      return res;
    };

    async function* chat(request: ChatRequest, call: CallContext): AsyncGenerator<ChatChunk> {
      const includeUsage = request.stream_options?.include_usage === true;
      request.stream = true;
      const res = await post('/chat/completions', request, call);
      const type = String(res.headers['content-type'] ?? '');
      if (type.includes('text/event-stream')) {
        yield* openaiSseChunks(res.body);
        return;
      }
      // Some servers answer stream requests with one JSON body; replay it as a stream.
      const completion = parseJsonObject<ChatCompletion>(await res.body.text(), type);
      yield* completionToChunks(completion, includeUsage);
    }

    return {
      chat,

      async complete(request, call) {
        const res = await post('/chat/completions', request, call);
        return new RawJson<ChatCompletion>(checkJsonObject(await res.body.text(), String(res.headers['content-type'] ?? '')));
      },

      async embeddings(request, call) {
        const res = await post('/embeddings', request, call);
        return new RawJson(checkJsonObject(await res.body.text(), String(res.headers['content-type'] ?? '')));
      },

      async listModels(): Promise<ModelInfo[]> {
        const signal = new CallSignal();
        const timer = setTimeout(() => signal.abort(new Error('model discovery timed out')), options.discoveryTimeoutMs);
        try {
          const res = await requestUpstream(dispatcher, { origin, path: `${base}/models`, method: 'GET', headers: headers(credentials[0]), signal });
          const body = parseJsonObject<{ data?: ModelInfo[] } | ModelInfo[]>(await res.body.text(), String(res.headers['content-type'] ?? ''));
          const list = Array.isArray(body) ? body : (body.data ?? []);
          return list.filter((m) => m && typeof m.id === 'string');
        } finally {
          clearTimeout(timer);
        }
      },

      async close() {
        await dispatcher.close();
      },
    };
  },
});
