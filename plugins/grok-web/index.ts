import { randomBytes, randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import {
  CONTRACT_VERSION,
  CallSignal,
  GatewayError,
  UpstreamError,
  completionId,
  createUpstreamDispatcher,
  defineProvider,
  nowSeconds,
  requestUpstream,
  type CallContext,
  type ChatChunk,
  type ChatRequest,
  type Credential,
  type ImageRequest,
  type ImagesResponse,
  type ModelInfo,
  type QuotaObservation,
} from '../../core/index.js';
import { classifyGrok } from './classify.js';
import { flattenMessages } from './flatten.js';
import { catalogue, quotaKey, tiersFor, type GrokModel, type Tier } from './models.js';
import { NdjsonLines } from './ndjson.js';
import { conversationBody } from './conversation-body.js';
import { QuotaBook, parseQuota, type ModeQuota } from './quota.js';
import { guardedAgent } from './guarded-agent.js';
import { loadUserImage } from './user-images.js';
import { GrokInBandError, GrokTranslator, type ThinkingMode } from './translate.js';
import { isRateLimit } from './classify.js';
import { GeneratedImages, type ImageOptions } from './generated-images.js';

interface Options {
  baseUrl: string;
  assetsUrl: string;
  statsig: string;
  cfClearance?: string;
  userAgent: string;
  proxyUrl?: string;
  temporary: boolean;
  customInstruction?: string;
  thinking: ThinkingMode;
  filteredTags: string[];
  imageCount: number;
  images: ImageOptions;
  showSearchSources: boolean;
  historyFileChars: number;
  /** Entries merged over the default catalogue (models.ts); not `models`, the core's static list. */
  catalog?: GrokModel[];
  imageInput: { maxBytes: number; timeoutMs: number; allowPrivate: boolean };
}

/** A quota read may delay a failed request's answer: it gets this long. */
const QUOTA_READ_TIMEOUT_MS = 10_000;

/** Grok takes at most this many attachments per message (reference §3). */
const MAX_ATTACHMENTS = 4;

/** Grok makes at most this many images per conversation (`imageGenerationCount`). */
const MAX_IMAGES_PER_CALL = 4;

/** A long history travels as this file; the message says so, so the model reads it. */
const HISTORY_FILE = 'conversation.txt';
const HISTORY_NOTE = `[The conversation so far is in the attached file ${HISTORY_FILE}; answer its last message below.]`;

/** The statsig value most Grok clients send (base64 of a fake JS error, reference §2). */
const STATIC_STATSIG = 'ZTpUeXBlRXJyb3I6IENhbm5vdCByZWFkIHByb3BlcnRpZXMgb2YgdW5kZWZpbmVkIChyZWFkaW5nICdjaGlsZE5vZGVzJyk=';
const DEFAULT_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/133.0.0.0 Safari/537.36';

const randomStatsig = () => Buffer.from(`e:TypeError: Cannot read properties of undefined (reading '${randomBytes(6).toString('hex')}')`).toString('base64');

/** A credential is a bare sso token or a whole cookie string; both become the request's Cookie. */
function cookieOf(secret: string, cfClearance: string | undefined): string {
  const base = secret.includes('=') ? secret : `sso=${secret}; sso-rw=${secret}`;
  return cfClearance && !/cf_clearance=/.test(base) ? `${base}; cf_clearance=${cfClearance}` : base;
}

/** Every `image_url` of the request's messages, in order, with where it sits (for errors). */
function imageUrls(request: ChatRequest): { url: string; param: string }[] {
  const out: { url: string; param: string }[] = [];
  request.messages.forEach((m, i) => {
    if (!Array.isArray(m.content)) return;
    (m.content as { type?: string; image_url?: { url?: unknown } | string }[]).forEach((p, j) => {
      if (p?.type !== 'image_url') return;
      const at = `messages[${i}].content[${j}].image_url`;
      if (typeof p.image_url === 'string') out.push({ url: p.image_url, param: at });
      else if (typeof p.image_url?.url === 'string') out.push({ url: p.image_url.url, param: `${at}.url` });
    });
  });
  return out;
}

/** `GROK_TIMEOUT` in seconds, when set to a positive number. */
function grokTimeoutMs(): number | undefined {
  const s = Number(process.env.GROK_TIMEOUT);
  return Number.isFinite(s) && s > 0 ? Math.round(s * 1000) : undefined;
}

/** Rough token count for usage Grok does not report (marked `estimated`). */
const estimate = (text: string) => Math.max(1, Math.ceil(text.length / 4));

/**
 * Grok on grok.com with web accounts (SSO cookies): one
 * temporary conversation per request, the NDJSON answer translated to OpenAI chunks. The pool
 * rotates accounts; this plugin only speaks the protocol and says what went wrong.
 */
export default defineProvider<Options>({
  kind: 'provider',
  contractVersion: CONTRACT_VERSION,
  name: 'grok-web',
  optionsSchema: {
    type: 'object',
    properties: {
      baseUrl: { type: 'string', pattern: '^https?://', default: 'https://grok.com' },
      assetsUrl: { type: 'string', pattern: '^https?://', default: 'https://assets.grok.com' },
      statsig: { type: 'string', minLength: 1, default: STATIC_STATSIG },
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
    const origin = new URL(options.baseUrl).origin;
    const proxyUrl = options.proxyUrl ?? process.env.GROK_PROXY;
    const dispatcher = createUpstreamDispatcher({ baseUrl: options.baseUrl, proxyUrl, connections: 16 });
    // By secret, filled on first use: an admin may add accounts after start-up.
    const cookies = new Map<string, string>();
    const cookieFor = (secret: string) => {
      let cookie = cookies.get(secret);
      if (cookie === undefined) cookies.set(secret, (cookie = cookieOf(secret, options.cfClearance)));
      return cookie;
    };
    const assets = options.assetsUrl.replace(/\/+$/, '');
    const imageAgent = guardedAgent(options.imageInput.allowPrivate);
    const assetsDispatcher = createUpstreamDispatcher({ baseUrl: assets, proxyUrl, connections: 8 });
    const generated = new GeneratedImages(
      { dispatcher: assetsDispatcher, base: assets },
      options.images,
      () => imageFiles.open({ dir: resolve(configDir, options.images.cacheDir), maxBytes: Math.round(options.images.maxCacheMb * 1024 * 1024) }),
      // The assets host serves an image to the account that made it and nobody else.
      (call) => {
        const cookie = call.credential && cookieFor(call.credential.secret);
        return { 'user-agent': options.userAgent, referer: `${origin}/`, accept: 'image/*', ...(cookie ? { cookie } : {}) };
      },
    );
    await generated.warm(log);

    /** `POST /rest/rate-limits` for one account and quota window (reference §7), within 10 s. */
    async function readQuota(secret: string, key: string): Promise<ModeQuota> {
      const signal = new CallSignal();
      const timer = setTimeout(() => signal.abort(new Error('the quota read timed out')), QUOTA_READ_TIMEOUT_MS);
      try {
        const res = await requestUpstream(dispatcher, {
          origin,
          path: '/rest/rate-limits',
          method: 'POST',
          headers: headers(secret),
          body: JSON.stringify({ requestKind: 'DEFAULT', modelName: key }),
          signal,
        });
        return parseQuota(await res.body.json(), Date.now());
      } finally {
        clearTimeout(timer);
      }
    }
    const book = new QuotaBook(readQuota);
    const observation = (q: ModeQuota): QuotaObservation => ({ remaining: q.remaining, limit: q.total, resetAt: q.fetchedAt + q.windowSeconds * 1000 });

    /** After a rate limit: what is left in the window decides between a short and a long rest. */
    async function noteLimit(err: unknown, call: CallContext, key: string): Promise<void> {
      const limited = (err instanceof UpstreamError && err.status === 429) || (err instanceof GrokInBandError && isRateLimit(err));
      if (!limited || !call.credential) return;
      const q = await book.refreshAfterLimit(call.credential.secret, key, Date.now());
      if (!q) return;
      call.reportQuota(observation(q));
      (err as { grokQuota?: ModeQuota }).grokQuota = q;
    }

    function headers(secret: string | undefined): Record<string, string> {
      const h: Record<string, string> = {
        'content-type': 'application/json',
        accept: '*/*',
        origin,
        referer: `${origin}/`,
        'user-agent': options.userAgent,
        'x-xai-request-id': randomUUID(),
        'x-statsig-id': options.statsig === 'random' ? randomStatsig() : options.statsig,
      };
      const cookie = secret && cookieFor(secret);
      if (cookie) h.cookie = cookie;
      return h;
    }

    /** Upload a file with the call's account; its id goes into the message's attachments. */
    async function upload(call: CallContext, fileName: string, mimeType: string, bytes: Buffer): Promise<string> {
      const res = await requestUpstream(dispatcher, {
        origin,
        path: '/rest/app-chat/upload-file',
        method: 'POST',
        headers: headers(call.credential?.secret),
        body: JSON.stringify({ fileName, fileMimeType: mimeType, content: bytes.toString('base64') }),
        signal: call.signal,
      });
      const up = (await res.body.json()) as { fileMetadataId?: string; fileId?: string };
      const id = up.fileMetadataId ?? up.fileId;
      if (!id) throw UpstreamError.malformed('Grok accepted an upload without giving its id');
      return id;
    }

    /**
     * The message and its attachments: the request's images (the last few) uploaded first, and a
     * history longer than `historyFileChars` uploaded as a text file with only the last turn inline.
     */
    async function prepare(request: ChatRequest, call: CallContext): Promise<{ message: string; files: string[] }> {
      const files: string[] = [];
      for (const [i, { url, param }] of imageUrls(request).slice(-MAX_ATTACHMENTS).entries()) {
        const img = await loadUserImage(url, param, options.imageInput, imageAgent);
        files.push(await upload(call, `image-${i + 1}.${img.mimeType.split('/')[1] ?? 'bin'}`, img.mimeType, img.bytes));
      }
      const message = flattenMessages(request.messages);
      const limit = options.historyFileChars;
      if (!limit || message.length <= limit || request.messages.length < 2) return { message, files };
      const history = flattenMessages(request.messages.slice(0, -1));
      files.push(await upload(call, HISTORY_FILE, 'text/plain', Buffer.from(history, 'utf8')));
      return { message: `${HISTORY_NOTE}\n\n${flattenMessages(request.messages.slice(-1))}`, files };
    }

    /**
     * One conversation, its frames through the translator `t` (which throws Grok's in-band
     * errors), with the quota kept: counted down after a success, re-read after a rate limit
     * (which decides how long the account rests).
     */
    async function* converse(t: GrokTranslator, model: GrokModel, message: string, files: string[], call: CallContext, count?: number): AsyncGenerator<ChatChunk> {
      const key = quotaKey(model);
      try {
        const res = await requestUpstream(dispatcher, {
          origin,
          path: '/rest/app-chat/conversations/new',
          method: 'POST',
          headers: headers(call.credential?.secret),
          body: JSON.stringify(conversationBody(model, { message, files, imageCount: count ?? options.imageCount, temporary: options.temporary, customInstruction: options.customInstruction })),
          signal: call.signal,
        });
        const lines = new NdjsonLines();
        const decoder = new StringDecoder('utf8');
        for await (const buf of res.body) {
          for (const frame of lines.feed(decoder.write(buf as Buffer))) yield* t.frame(frame);
        }
        for (const frame of [...lines.feed(decoder.end()), ...lines.end()]) yield* t.frame(frame);
      } catch (err) {
        await noteLimit(err, call, key);
        throw err;
      }
      const q = call.credential && book.spend(call.credential.secret, key, model.cost);
      if (q) call.reportQuota(observation(q));
    }

    function modelFor(id: string): GrokModel {
      const model = models.get(id);
      if (!model) throw new UpstreamError(`unknown Grok model ${id}`, { status: 404, body: JSON.stringify({ error: { message: `Unknown model: ${id}` } }) });
      return model;
    }

    const translator = (model: GrokModel, id: string, thinking: ThinkingMode) =>
      new GrokTranslator({ id, created: nowSeconds(), model: model.id }, { thinking, filteredTags: options.filteredTags, showSearchSources: options.showSearchSources });

    async function* chat(request: ChatRequest, call: CallContext): AsyncGenerator<ChatChunk> {
      const model = modelFor(request.model);
      const { message, files } = await prepare(request, call);
      const hide = (request as { reasoning_effort?: string }).reasoning_effort === 'none';
      const id = completionId();
      const t = translator(model, id, hide ? 'hide' : options.thinking);
      yield* converse(t, model, message, files, call);
      if (!t.done && !t.text && !t.images.length) throw UpstreamError.malformed('Grok ended the answer without a word');
      yield* t.finish(t.images.length ? await generated.links(t.images, call) : []);
      if (request.stream_options?.include_usage || !request.stream) {
        const prompt = estimate(message);
        const completion = estimate(t.text + t.reasoning);
        yield {
          id,
          object: 'chat.completion.chunk',
          created: nowSeconds(),
          model: model.id,
          choices: [],
          usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, estimated: true } as ChatChunk['usage'],
        };
      }
    }

    /** `/v1/images/generations`: conversations on the image model until `n` images (at most 4 each). */
    async function images(request: ImageRequest, call: CallContext): Promise<ImagesResponse> {
      const model = modelFor(request.model);
      if (!model.image) {
        const which = [...models.values()].filter((m) => m.image).map((m) => m.id);
        throw new GatewayError('SWB_ERR_UNSUPPORTED_OPERATION', `${model.id} does not generate images; use ${which.join(' or ') || 'an image model'}`, { param: 'model' });
      }
      const n = request.n ?? 1;
      const made: string[] = [];
      for (let round = 0; made.length < n && round < Math.ceil(n / MAX_IMAGES_PER_CALL); round++) {
        const t = translator(model, '', 'hide');
        for await (const _ of converse(t, model, request.prompt, [], call, Math.min(MAX_IMAGES_PER_CALL, n - made.length)));
        made.push(...t.images);
      }
      if (!made.length) throw new GatewayError('SWB_ERR_CONTENT_POLICY', 'Grok withheld every image it made for this prompt (moderated).', { param: 'prompt' });
      return { created: nowSeconds(), data: await generated.generated(made.slice(0, n), call, request.response_format ?? 'url') };
    }

    return {
      chat,
      images,
      classify: classifyGrok,
      /** The refresh-all job: one account's window for a model, read now. */
      async fetchQuota(credential: Credential, modelId: string): Promise<QuotaObservation | undefined> {
        const m = models.get(modelId);
        if (!m) return undefined;
        const q = await book.refresh(credential.secret, quotaKey(m));
        return q && observation(q);
      },
      /** One model per quota window: enough for the refresh-all job to read every window once. */
      quotaModels(): string[] {
        const seen = new Map<string, string>();
        for (const m of models.values()) if (!seen.has(quotaKey(m))) seen.set(quotaKey(m), m.id);
        return [...seen.values()];
      },
      // Tier routing (reference §6): a model uses accounts of its tier first, then the tiers above;
      // an account without a configured tier counts as basic.
      rankCredential(credential, model) {
        const m = models.get(model);
        if (!m) return 0;
        const rank = tiersFor(m).indexOf((credential?.tier as Tier | undefined) ?? 'basic');
        return rank === -1 ? undefined : rank;
      },
      listModels: (): ModelInfo[] => [...models.values()].map((m) => ({ id: m.id, owned_by: 'xai', tier: m.tier })),
      async close() {
        await dispatcher.close();
        await assetsDispatcher.close();
        await imageAgent.close();
      },
    };
  },
});
