import { completionToChunks, CONTRACT_VERSION, defineProvider, headerValue, nativeBody, nativeRequest, nowSeconds, parseJsonObject, UpstreamError, withNativeOutput, type CallContext, type ChatRequest, type NativeRequest, type Provider } from '../../core/index.js';
import { classifyAnthropic } from './classify.js';
import { AnthropicClient } from './client.js';
import { listAnthropicModels } from './models.js';
import { DEFAULT_MAX_TOKENS, toMessagesRequest } from './request.js';
import { toCompletion, type AnthropicMessageBody } from './response.js';
import { anthropicChunks } from './stream.js';

interface Options {
  baseUrl: string;
  anthropicVersion: string;
  betas?: string[];
  headers?: Record<string, string>;
  proxyUrl?: string;
  connections: number;
  discoveryTimeoutMs: number;
  defaultMaxTokens: number;
}

/**
 * Anthropic's Messages API (api.anthropic.com or a server that speaks it): OpenAI-format
 * requests are translated to Messages bodies and the answers back (docs/providers/anthropic.md),
 * keys go in `x-api-key`, and Anthropic's errors and rate-limit headers steer the pool.
 */
export default defineProvider<Options>({
  kind: 'provider',
  contractVersion: CONTRACT_VERSION,
  name: 'anthropic',
  optionsSchema: {
    type: 'object',
    properties: {
      baseUrl: { type: 'string', pattern: '^https?://', default: 'https://api.anthropic.com' },
      anthropicVersion: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$', default: '2023-06-01' },
      betas: { type: 'array', items: { type: 'string', minLength: 1 } },
      headers: { type: 'object', additionalProperties: { type: 'string' } },
      proxyUrl: { type: 'string', pattern: '^https?://' },
      connections: { type: 'integer', minimum: 1, default: 64 },
      discoveryTimeoutMs: { type: 'integer', minimum: 1, default: 10_000 },
      defaultMaxTokens: { type: 'integer', minimum: 1, default: DEFAULT_MAX_TOKENS },
    },
  },
  create({ options, credentials }) {
    const client = new AnthropicClient(options);
    const body = (request: ChatRequest, stream: boolean) => {
      const b = toMessagesRequest(request, options.defaultMaxTokens);
      if (stream) b.stream = true;
      return JSON.stringify(b);
    };

    // A /v1/messages client's own body is sent as it came (only `model` set to the upstream id),
    // and the answer keeps the upstream's own text, for that front door to pass on.
    const postNative = (path: string, native: NativeRequest, call: CallContext) => client.post(path, nativeBody(native, call.model), call, native.headers['anthropic-beta']);
    const post = (request: ChatRequest, native: NativeRequest | undefined, stream: boolean, call: CallContext) =>
      native ? postNative('/v1/messages', native, call) : client.post('/v1/messages', body(request, stream), call);

    const provider: Provider & { close(): Promise<void> } = {
      dialects: ['anthropic-messages'],

      async *chat(request, call) {
        const includeUsage = request.stream_options?.include_usage === true || request.stream !== true;
        const native = nativeRequest(request, 'anthropic-messages');
        const res = await post(request, native, true, call);
        const type = headerValue(res.headers, 'content-type') ?? '';
        if (type.includes('text/event-stream')) {
          yield* anthropicChunks(res.body, nowSeconds(), includeUsage, native !== undefined);
          return;
        }
        // A server that answers a stream request with the whole message: replay it as a stream.
        yield* completionToChunks(toCompletion(parseJsonObject<AnthropicMessageBody>(await res.body.text(), type), nowSeconds()), includeUsage);
      },

      async complete(request, call) {
        const native = nativeRequest(request, 'anthropic-messages');
        const res = await post(request, native, false, call);
        const text = await res.body.text();
        const completion = toCompletion(parseJsonObject<AnthropicMessageBody>(text, headerValue(res.headers, 'content-type') ?? ''), nowSeconds());
        return native ? withNativeOutput(completion, text) : completion;
      },

      // Only a client of Anthropic's own count_tokens has a body to count; the rest is estimated.
      async countTokens(request, call) {
        const native = nativeRequest(request, 'anthropic-messages');
        if (!native) return undefined;
        const res = await postNative('/v1/messages/count_tokens', native, call);
        const counted = parseJsonObject<{ input_tokens?: unknown }>(await res.body.text(), headerValue(res.headers, 'content-type') ?? '');
        if (typeof counted.input_tokens !== 'number') throw UpstreamError.malformed('the upstream count has no input_tokens');
        return counted.input_tokens;
      },

      listModels: () => listAnthropicModels(client, credentials[0], options.discoveryTimeoutMs),
      classify: classifyAnthropic,
      close: () => client.close(),
    };
    return provider;
  },
});
