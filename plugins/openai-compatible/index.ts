import { CONTRACT_VERSION, defineProvider, openaiCompatible } from '../../core/index.js';

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
  create: ({ options, credentials }) =>
    openaiCompatible({
      baseUrl: options.baseUrl,
      credentials,
      headers: options.headers,
      proxyUrl: options.proxyUrl,
      connections: options.connections,
      keepAliveTimeoutMs: options.keepAliveTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs,
      discovery: { timeoutMs: options.discoveryTimeoutMs },
    }),
});
