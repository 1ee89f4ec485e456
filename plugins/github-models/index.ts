import { CONTRACT_VERSION, defineProvider, openaiCompatible, type ChatRequest } from '../../core/index.js';
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
    // `org` bills an organisation: /orgs/{org}/inference instead of /inference.
    const base = options.org ? url.pathname.replace(/\/inference\/?$/, `/orgs/${options.org}/inference`) : url.pathname;
    const names = new ModelNames();

    /** The request as GitHub wants it: `max_completion_tokens` for reasoning models (the core already set the catalog id). */
    function prepare(request: ChatRequest): ChatRequest {
      if (request.max_tokens != null && request.max_completion_tokens == null && names.needsCompletionTokens(request.model)) {
        request.max_completion_tokens = request.max_tokens;
        delete request.max_tokens;
      }
      return request;
    }

    return openaiCompatible({
      baseUrl: url.origin + base,
      credentials,
      headers: { accept: 'application/json', 'x-github-api-version': '2022-11-28', ...options.headers },
      query: options.apiVersion ? { 'api-version': options.apiVersion } : undefined,
      proxyUrl: options.proxyUrl,
      connections: options.connections,
      modelNames: { toUpstream: (model) => names.upstreamId(model) },
      rewriteChat: prepare,
      rewriteEvent: stripObfuscation,
      discovery: {
        url: options.catalogUrl ?? `${url.origin}/catalog/models`,
        timeoutMs: options.discoveryTimeoutMs,
        parse(text) {
          const list = toModelInfo(parseCatalog(text));
          names.update(list);
          return list;
        },
      },
      classify: classifyGitHub,
      rateLimitScope: 'model',
    });
  },
});
