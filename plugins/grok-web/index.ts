import { resolve } from 'node:path';
import { CONTRACT_VERSION, createUpstreamDispatcher, defineProvider, type Credential, type ModelInfo, type QuotaObservation } from '../../core/index.js';
import { GrokEndpoints, type EndpointOptions } from './endpoints.js';
import { classifyGrok } from './classify.js';
import { DEFAULT_UA, GrokClient, type ClientOptions } from './client.js';
import { isSignedStatsig } from './statsig.js';
import { GeneratedImages, type ImageOptions } from './generated-images.js';
import { guardedAgent } from './guarded-agent.js';
import { catalogue, gatewayMode, quotaKey, tierOf, tiersFor, type GrokModel, type Tier } from './models.js';

interface Options extends ClientOptions, EndpointOptions {
  assetsUrl: string;
  images: ImageOptions;
  /** Entries merged over the default catalogue (models.ts); not `models`, the core's static list. */
  catalog?: GrokModel[];
}

/** `GROK_TIMEOUT` in seconds, when set to a positive number. */
function grokTimeoutMs(): number | undefined {
  const s = Number(process.env.GROK_TIMEOUT);
  return Number.isFinite(s) && s > 0 ? Math.round(s * 1000) : undefined;
}

/**
 * Grok on grok.com with web accounts (SSO cookies): one temporary conversation per request, the
 * NDJSON answer translated to OpenAI chunks. The pool rotates accounts; this plugin only speaks
 * the protocol and says what went wrong. Here: the options and the wiring; client.ts speaks to
 * grok.com, endpoints.ts serves chat and image requests as conversations (conversation.ts).
 */
export default defineProvider<Options>({
  kind: 'provider',
  contractVersion: CONTRACT_VERSION,
  name: 'grok-web',
  optionsSchema: {
    type: 'object',
    properties: {
      baseUrl: { type: 'string', pattern: '^https?://', default: 'https://grok.com' },
      chatTransport: { enum: ['websocket', 'http'], default: 'websocket' },
      heartbeatSeconds: { type: 'number', exclusiveMinimum: 0, default: 25 },
      assetsUrl: { type: 'string', pattern: '^https?://', default: 'https://assets.grok.com' },
      // A fixed value, `random`, or a signer you run; unset: none over the gateway, the static value over http.
      statsig: {
        anyOf: [
          { type: 'string', minLength: 1 },
          { type: 'object', required: ['signerUrl'], properties: { signerUrl: { type: 'string', pattern: '^https?://' } }, additionalProperties: false },
        ],
      },
      cfClearance: { type: 'string' },
      userAgent: { type: 'string', minLength: 1, default: DEFAULT_UA },
      proxyUrl: { type: 'string', pattern: '^https?://' },
      temporary: { type: 'boolean', default: true },
      customInstruction: { type: 'string' },
      thinking: { enum: ['reasoning_content', 'inline', 'hide'], default: 'reasoning_content' },
      filteredTags: { type: 'array', items: { type: 'string' }, default: ['xaiartifact', 'xai:tool_usage_card', 'grok:render'] },
      imageCount: { type: 'integer', minimum: 1, maximum: 4, default: 2 },
      images: {
        type: 'object',
        properties: {
          format: { enum: ['local_url', 'grok_url', 'base64'], default: 'local_url' },
          cacheDir: { type: 'string', minLength: 1, default: './data/images' },
          maxCacheMb: { type: 'number', exclusiveMinimum: 0, default: 512 },
          baseUrl: { type: 'string', pattern: '^https?://' },
        },
        default: {},
      },
      showSearchSources: { type: 'boolean', default: false },
      historyFileChars: { type: 'integer', minimum: 0, default: 40_000 },
      imageInput: {
        type: 'object',
        properties: {
          maxBytes: { type: 'integer', minimum: 1, default: 20 * 1024 * 1024 },
          timeoutMs: { type: 'integer', minimum: 1, default: 15_000 },
          allowPrivate: { type: 'boolean', default: false },
        },
        default: {},
      },
      // `catalog`, not `models`: the core owns `models:` on every provider (a static list of ids).
      catalog: {
        type: 'array',
        items: {
          type: 'object',
          required: ['id', 'dialect', 'tier'],
          properties: {
            id: { type: 'string', minLength: 1 },
            dialect: { enum: ['v1', 'v2'] },
            modeId: { type: 'string' },
            modelName: { type: 'string' },
            modelMode: { type: 'string' },
            cost: { type: 'integer', minimum: 1, default: 1 },
            tier: { enum: ['basic', 'super', 'heavy'] },
            reasoning: { type: 'boolean' },
            image: { type: 'boolean' },
          },
          additionalProperties: false,
        },
      },
    },
  },
  // The seeds' stream timeouts: first response 30 s, between chunks 120 s (or GROK_TIMEOUT seconds,
  // the Grok3API server's setting), total 600 s. The config's `timeouts:` still wins.
  defaults: {
    timeouts: { firstByteMs: 30_000, idleMs: grokTimeoutMs() ?? 120_000, totalMs: 600_000 },
    // The seeds' rule: an account failing with 4xx three times in a row has expired.
    cooldowns: { disableAfterClientErrors: 3 },
  },
  async create({ options, configDir, images: imageFiles, log }) {
    const models = catalogue(options.catalog);
    const proxyUrl = options.proxyUrl ?? process.env.GROK_PROXY;
    // The REST calls of the gateway era want a signed value; the REST chat dialect took any.
    if (options.chatTransport === 'websocket' && typeof options.statsig === 'string' && options.statsig !== 'random' && !isSignedStatsig(options.statsig)) {
      throw new Error('option statsig: a fixed value must be base64 of 70 bytes (a signed x-statsig-id); or set statsig: { signerUrl: ... }, or leave it unset to send none');
    }
    const client = new GrokClient({ ...options, proxyUrl }, log);
    const assets = options.assetsUrl.replace(/\/+$/, '');
    const imageAgent = guardedAgent(options.imageInput.allowPrivate);
    const assetsDispatcher = createUpstreamDispatcher({ baseUrl: assets, proxyUrl, connections: 8 });
    const generated = new GeneratedImages(
      { dispatcher: assetsDispatcher, base: assets },
      options.images,
      () => imageFiles.open({ dir: resolve(configDir, options.images.cacheDir), maxBytes: Math.round(options.images.maxCacheMb * 1024 * 1024) }),
      // The assets host serves an image to the account that made it and nobody else.
      (call) => {
        const cookie = call.credential && client.cookieFor(call.credential.secret);
        return { 'user-agent': options.userAgent, referer: `${client.origin}/`, accept: 'image/*', ...(cookie ? { cookie } : {}) };
      },
    );
    await generated.warm(log);
    const grok = new GrokEndpoints(client, models, generated, options, imageAgent);
    const gateway = options.chatTransport === 'websocket';
    // Over the gateway a model's quota window is its mode's.
    const windowOf = (m: GrokModel) => (gateway ? gatewayMode(m) : quotaKey(m));

    return {
      chat: (request, call) => grok.chat(request, call),
      images: (request, call) => grok.images(request, call),
      classify: classifyGrok,
      /** The refresh-all job: one account's window for a model, read now. */
      async fetchQuota(credential: Credential, modelId: string): Promise<QuotaObservation | undefined> {
        const m = models.get(modelId);
        return m && client.fetchQuota(credential, windowOf(m));
      },
      /** One model per quota window: enough for the refresh-all job to read every window once. */
      quotaModels(): string[] {
        const seen = new Map<string, string>();
        for (const m of models.values()) if (!seen.has(windowOf(m))) seen.set(windowOf(m), m.id);
        return [...seen.values()];
      },
      // Tier routing: a model uses accounts of its tier first, then the tiers above; an account
      // without a configured tier takes the one its quota windows show, else counts as basic.
      rankCredential(credential, model) {
        const m = models.get(model);
        if (!m) return 0;
        // A configured tier wins; else what the account's quota windows say; else basic.
        const tier = (credential?.tier as Tier | undefined) ?? (credential && client.inferredTier(credential.secret)) ?? 'basic';
        const rank = tiersFor(m, gateway).indexOf(tier);
        return rank === -1 ? undefined : rank;
      },
      // Models asking for one window (over the gateway: one mode) rest together after a 429.
      rateLimitGroup(model: string): string[] | undefined {
        const m = models.get(model);
        if (!m) return undefined;
        const key = windowOf(m);
        return [...models.values()].filter((x) => windowOf(x) === key).map((x) => x.id);
      },
      listModels: (): ModelInfo[] => [...models.values()].map((m) => ({ id: m.id, owned_by: 'xai', tier: tierOf(m, gateway) })),
      async close() {
        await client.close();
        await assetsDispatcher.close();
        await imageAgent.close();
      },
    };
  },
});
