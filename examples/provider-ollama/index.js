// @ts-check
/**
 * A Switchboard provider for Ollama's native API: `POST /api/chat` (NDJSON stream, or one JSON
 * object with `stream: false`) and `GET /api/tags` for the models. Ollama needs no key; a
 * credential, when configured, goes as a Bearer token (for a proxy in front of it).
 *
 *   providers:
 *     - id: ollama
 *       plugin: switchboard-provider-ollama
 *       baseUrl: http://127.0.0.1:11434
 *
 * Plain JavaScript with JSDoc types from `switchboard`: it runs as is, no build step.
 */
import {
  CONTRACT_VERSION,
  bearerHeaders,
  CallSignal,
  classifyHttpFailure,
  completionId,
  createUpstreamDispatcher,
  defineProvider,
  nowSeconds,
  parseJsonObject,
  requestUpstream,
  headerValue,
} from 'switchboard';
import { ollamaChunks, ollamaCompletion } from './answer.js';
import { toOllamaChat } from './request.js';

/**
 * @typedef {object} OllamaOptions
 * @property {string} baseUrl
 * @property {string} [keepAlive] how long Ollama keeps the model loaded after a request (`5m`, `-1`)
 * @property {Record<string, unknown>} [modelOptions] Ollama `options` sent with every request, under the request's own
 * @property {Record<string, string>} [headers]
 * @property {number} connections
 * @property {number} discoveryTimeoutMs
 */

/** @typedef {import('switchboard').CallContext} CallContext */
/** @typedef {import('switchboard').ChatRequest} ChatRequest */
/** @typedef {import('switchboard').Provider} Provider */

export default defineProvider(/** @type {import('switchboard').ProviderPlugin<OllamaOptions>} */ ({
  kind: 'provider',
  contractVersion: CONTRACT_VERSION,
  name: 'ollama',
  optionsSchema: {
    type: 'object',
    properties: {
      baseUrl: { type: 'string', pattern: '^https?://', default: 'http://127.0.0.1:11434' },
      keepAlive: { type: 'string', minLength: 1 },
      modelOptions: { type: 'object' },
      headers: { type: 'object', additionalProperties: { type: 'string' } },
      connections: { type: 'integer', minimum: 1, default: 16 },
      discoveryTimeoutMs: { type: 'integer', minimum: 1, default: 5000 },
    },
  },
  // A local model can take a while to load before its first token.
  defaults: { timeouts: { firstByteMs: 120_000 } },

  create({ options }) {
    const base = new URL(options.baseUrl);
    const prefix = base.pathname.replace(/\/$/, '');
    const dispatcher = createUpstreamDispatcher({ baseUrl: options.baseUrl, connections: options.connections });
    const headers = bearerHeaders({ 'content-type': 'application/json', ...options.headers });

    /** @param {ChatRequest} request @param {boolean} stream @param {CallContext} call */
    const post = (request, stream, call) =>
      requestUpstream(dispatcher, {
        origin: base.origin,
        path: `${prefix}/api/chat`,
        method: 'POST',
        headers: headers(call.credential),
        body: JSON.stringify(toOllamaChat(request, { stream, keepAlive: options.keepAlive, defaults: options.modelOptions })),
        signal: call.signal,
      });

    /** @type {Provider} */
    const provider = {
      async listModels(signal) {
        const own = signal ? undefined : CallSignal.timeout(options.discoveryTimeoutMs, 'Ollama model list timed out');
        try {
          const res = await requestUpstream(dispatcher, { origin: base.origin, path: `${prefix}/api/tags`, method: 'GET', headers: headers(undefined), signal: signal ?? /** @type {CallSignal} */ (own) });
          const list = parseJsonObject(await res.body.text(), headerValue(res.headers, 'content-type') ?? '');
          const models = /** @type {{ models?: { name?: string, model?: string, modified_at?: string }[] }} */ (list).models ?? [];
          return models.filter((m) => m.name || m.model).map((m) => ({ id: /** @type {string} */ (m.name ?? m.model), owned_by: 'ollama' }));
        } finally {
          own?.clear();
        }
      },

      async *chat(request, call) {
        const res = await post(request, true, call);
        const includeUsage = request.stream !== true || request.stream_options?.include_usage === true;
        yield* ollamaChunks(res.body, { id: completionId(), created: nowSeconds(), model: call.model }, includeUsage);
      },

      async complete(request, call) {
        const res = await post(request, false, call);
        const value = parseJsonObject(await res.body.text(), headerValue(res.headers, 'content-type') ?? '');
        return ollamaCompletion(value, { id: completionId(), created: nowSeconds(), model: call.model });
      },

      // Ollama answers an unknown model with 404 `{"error":"model \"x\" not found, try pulling it first"}`.
      classify(failure) {
        if (failure.status === 404 && /not found/i.test(failure.body ?? '')) return { kind: 'request_invalid', modelNotFound: true };
        return classifyHttpFailure(failure);
      },

      close: () => dispatcher.close(),
    };
    return provider;
  },
}));
