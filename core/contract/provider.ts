import type { ChatChunk, ChatCompletion, ChatRequest, EmbeddingsRequest, EmbeddingsResponse, ImageRequest, ImagesResponse, ModelInfo } from './openai.js';
import type { RawJson } from './raw.js';
import type { NativeDialect, NativeRequest } from './native.js';
import type { CallSignal } from './call-signal.js';

/** Version of the provider and extension contract; a plugin declaring another one is refused. */
export const CONTRACT_VERSION = 1;

/** A JSON Schema object (draft-07, as understood by ajv). */
export type JsonSchema = Record<string, unknown>;

/** The logging surface plugins get (pino's, without the framework). */
export interface Logger {
  debug(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/**
 * The closed set of failure kinds. A provider's `classify` maps each upstream failure to one, and
 * the core decides from the kind alone whether to fail over, retry, cool a credential down or
 * answer the client.
 */
export type FailureKind =
  /** 5xx, reset, timeout, garbage: try elsewhere */
  | 'transient'
  /** 429 with quota left: retry later, honour the stated wait */
  | 'rate_limited'
  /** this credential is spent until its window resets */
  | 'quota_exhausted'
  /** 401/403: the credential is bad */
  | 'credential_invalid'
  /** this credential may not use this model */
  | 'credential_model_denied'
  /** the client's fault: returned as is, never retried, nobody blamed */
  | 'request_invalid'
  /** the whole upstream is down or retired */
  | 'provider_gone';

export const FAILURE_KINDS: readonly FailureKind[] = [
  'transient',
  'rate_limited',
  'quota_exhausted',
  'credential_invalid',
  'credential_model_denied',
  'request_invalid',
  'provider_gone',
];

/**
 * A failure kind with what the upstream said about waiting. Without `retryAfterMs` the core reads
 * `retry-after-ms`, `Retry-After` and `x-ratelimit-reset-requests` itself.
 */
export interface FailureVerdict {
  kind: FailureKind;
  /** How long this credential (for this model) should rest. */
  retryAfterMs?: number;
  /** Epoch ms when the credential's quota window resets (`quota_exhausted`). */
  resetAt?: number;
  /** The upstream's name for the limit that was hit (`UserByModelByDay`), shown in stats. */
  limitType?: string;
  /** With `rate_limited`: too many requests at once on this credential; it gets fewer for a minute. */
  lowerConcurrency?: boolean;
  /**
   * The failure is the egress's, not the credential's (a Cloudflare challenge, an anti-bot
   * rejection, a region block): the credential is not blamed; retries and the breaker still count it.
   */
  spareCredential?: boolean;
  /** What the operator should do about it; added to the client's error message and the log. */
  advice?: string;
  /** With `request_invalid`: the upstream does not know the model; the client gets 404 `model_not_found`. */
  modelNotFound?: boolean;
}

/** What went wrong with one upstream call, as the core saw it. */
export interface UpstreamFailure {
  /** The upstream's HTTP status, when it answered. */
  status?: number;
  /** The upstream's response headers, lower-case names. */
  headers?: Record<string, string | string[] | undefined>;
  /** The upstream's response body (truncated), when it answered. */
  body?: string;
  /** Transport error code: `ECONNREFUSED`, `UND_ERR_SOCKET`, ... */
  code?: string;
  /** One of Switchboard's timeouts (or undici's) ended the call. */
  timeout?: boolean;
  /** The upstream answered outside its protocol (bad JSON, broken frames, wrong content type). */
  malformed?: boolean;
  /** The upstream model the call was for. */
  model: string;
  /** The error as thrown. */
  error: Error;
  /** What the provider said the operator should do (set from its verdict), for the client's message. */
  advice?: string;
  /**
   * What the provider learnt of the credential's window with this failure (`UpstreamError.quota`,
   * e.g. a quota read after a 429), for its own `classify` to tell a burst from a spent quota.
   */
  quota?: QuotaObservation;
}

/** One credential from the provider's pool. */
export interface Credential {
  /** Safe to show: the configured name or a masked form of the secret (`ghp_…abcd·3f2a`, see maskSecret). */
  readonly id: string;
  /** The secret itself: send it upstream, never log it. */
  readonly secret: string;
  readonly name?: string;
  readonly tier?: string;
  readonly tags?: readonly string[];
}

/** Per-call timeouts in milliseconds; the core enforces them through `call.signal`. */
export interface Timeouts {
  /** request start to first chunk (or to the whole response when not streaming) */
  firstByteMs: number;
  /** longest silence between two chunks */
  idleMs: number;
  /** whole call, including failover */
  totalMs: number;
}

/** What a provider gets with every call. */
export interface CallContext {
  /** The provider's configured id. */
  readonly providerId: string;
  /** The upstream model id (already resolved from the client's model). */
  readonly model: string;
  /** The leased credential; undefined for providers configured without any. */
  readonly credential: Credential | undefined;
  /** Aborted when the client goes away or a timeout fires; pass it to undici. */
  readonly signal: CallSignal;
  readonly timeouts: Timeouts;
  readonly log: Logger;
  /**
   * The origin the client reached Switchboard at (`http://127.0.0.1:8000`, from the Host and
   * X-Forwarded-* headers), for links a provider hands back; `undefined` outside an HTTP request.
   */
  readonly origin: string | undefined;
  /**
   * Tell the pool what the upstream said of this credential's window (rate-limit headers of a
   * successful answer); the `quota-aware` strategy picks by it. Optional to call.
   */
  reportQuota(quota: QuotaObservation): void;
}

/** A provider instance, created once per configured provider. */
export interface Provider {
  /** The models this upstream serves. Called at start-up and when the core's cache expires. */
  listModels(signal?: CallSignal): Promise<ModelInfo[]> | ModelInfo[];
  /**
   * The upstream's own id for a model name a client used (`gpt-4o-mini` -> `openai/gpt-4o-mini`),
   * so cooldowns, breakers and stats see one model, whatever the client called it. Optional.
   */
  resolveModel?(model: string): string;
  /**
   * Which credentials may serve a model, and in what order of preference: a rank (lower first),
   * or undefined for "not this one". Grok uses it to keep super and heavy accounts for the models
   * that need them. Optional: without it every credential serves every model alike.
   */
  rankCredential?(credential: Credential | undefined, model: string): number | undefined;
  /**
   * Read a credential's quota for a model from the upstream, now (the refresh-all job, see
   * QuotaRefresh). Optional; undefined when the upstream says nothing for that model.
   */
  fetchQuota?(credential: Credential, model: string): Promise<QuotaObservation | undefined>;
  /** The models whose quotas the refresh-all job reads: one per quota window. Default: none. */
  quotaModels?(): string[];
  /**
   * Wire formats this provider speaks as its own (see {@link NativeRequest}): a chat request that
   * came in one of them carries the client's body, and the provider may send that instead of
   * translating. Optional; without it every request is translated.
   */
  readonly dialects?: readonly NativeDialect[];
  /** Stream a chat completion. The iterable must end after the finish (and usage) chunks. */
  chat(request: ChatRequest, call: CallContext): AsyncIterable<ChatChunk>;
  /** Optional non-streaming path, for upstreams with their own JSON answer; else the core folds `chat`. */
  complete?(request: ChatRequest, call: CallContext): Promise<ChatCompletion | RawJson<ChatCompletion>>;
  /**
   * The input tokens of a request as the upstream counts them (Anthropic's `count_tokens`), for
   * `/v1/messages/count_tokens`; undefined when it cannot say, and the core estimates. Optional.
   */
  countTokens?(request: ChatRequest, call: CallContext): Promise<number | undefined>;
  embeddings?(request: EmbeddingsRequest, call: CallContext): Promise<EmbeddingsResponse | RawJson<EmbeddingsResponse>>;
  /** `POST /v1/images/generations`; `n` and `response_format` arrive filled in (1, `url`). */
  images?(request: ImageRequest, call: CallContext): Promise<ImagesResponse>;
  /**
   * Map a failure to its kind (optionally with the wait the upstream stated); the core's
   * HTTP-status default is used when absent or when it returns undefined.
   */
  classify?(failure: UpstreamFailure): FailureKind | FailureVerdict | undefined;
  /**
   * Whether this upstream's rate limits are per model (default: a 429 benches the credential for
   * that model only) or account-wide (`credential`: a 429 benches it for every model).
   */
  readonly rateLimitScope?: 'model' | 'credential';
  /**
   * The models that share `model`'s rate-limit window on a credential (itself included), when
   * several model ids draw on one upstream quota: a 429 or a spent quota on one rests them all.
   * Undefined: the model alone.
   */
  rateLimitGroup?(model: string): readonly string[] | undefined;
  /** Release sockets and timers on shutdown. */
  close?(): Promise<void> | void;
}

/** What `create` receives. */
export interface ProviderInit<Options> {
  /** The provider's configured id (`providers[].id`). */
  id: string;
  /** Plugin options, validated against `optionsSchema` with defaults applied. */
  options: Options;
  credentials: readonly Credential[];
  /** Folder of the config file; resolve relative paths against it. */
  configDir: string;
  log: Logger;
  /**
   * Image caches served by the core at `GET /v1/files/image/{id}` (size-capped, least recently
   * used evicted first, kept across restarts): for providers whose upstream's image links a
   * client cannot open itself.
   */
  images: { open(options: { dir: string; maxBytes: number }): Promise<ImageStore> };
}

/** The default export of a provider plugin module. */
export interface ProviderPlugin<Options = Record<string, unknown>> {
  kind: 'provider';
  contractVersion: typeof CONTRACT_VERSION;
  /** Plugin name, as written after `plugin:` for built-ins. */
  name: string;
  /** JSON Schema of the plugin's own keys in its `providers[]` entry. */
  optionsSchema: JsonSchema;
  /**
   * Pool and policy defaults that suit this upstream (`throttle`, `retry`, `breaker`, ...); the
   * config's own keys win over them, and they win over the core's.
   */
  defaults?: ProviderDefaults;
  create(init: ProviderInit<Options>): Provider | Promise<Provider>;
}

/** Identity helper that gives a plugin literal its types. */
export function defineProvider<Options>(plugin: ProviderPlugin<Options>): ProviderPlugin<Options> {
  return plugin;
}

/** One resilience section of a `providers[]` entry (`pool`, `retry`, ...), as written in the config: checked by the core, not by the plugin. */
export type Section = Record<string, unknown>;

/** The resilience keys of one `providers[]` entry, as written (all optional). */
export interface ProviderSections {
  timeouts?: Section;
  pool?: Section;
  throttle?: Section;
  cooldowns?: Section;
  retry?: Section;
  breaker?: Section;
  bulkhead?: Section;
}

/**
 * Defaults a provider plugin brings for its upstream (GitHub Models wants a 2 s throttle, say):
 * they sit between the core's defaults and what the config file says.
 */
export type ProviderDefaults = { [K in keyof ProviderSections]?: Section };

/** What a successful response says of the credential's request window (OpenAI-style headers). */
export interface QuotaObservation {
  /** Requests left in the window. */
  remaining?: number;
  /** Requests allowed per window. */
  limit?: number;
  /** Epoch ms when the request window resets. */
  resetAt?: number;
  /**
   * Epoch ms the figures are from (when the upstream said them): `resetAt - observedAt` is the
   * wait the upstream stated, whatever the clock reading it later says.
   */
  observedAt?: number;
  remainingTokens?: number;
  limitTokens?: number;
}

/** A provider's handle on its image cache (`ProviderInit.images.open`). */
export interface ImageStore {
  /** Store an image; resolves to its id. Throws when it is larger than the whole cache. */
  put(bytes: Buffer, contentType: string): Promise<string>;
  /** The URL a client fetches the image at: `base` is the public origin (`https://sb.example.com`). */
  url(id: string, base: string): string;
}
