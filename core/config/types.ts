import type { ModelInfo } from '../contract/openai.js';
import type { ProviderSections } from '../contract/provider.js';

/** A credential after its source (inline, env, file) was read. */
export interface CredentialEntry {
  secret: string;
  name?: string;
  tier?: string;
  tags?: string[];
  note?: string;
}

export interface ProviderConfig {
  id: string;
  plugin: string;
  enabled: boolean;
  credentials: CredentialEntry[];
  /**
   * Set when `credentials`/`apiKey` were configured but all resolved to nothing (an unset
   * variable, an empty list or file): the start-up warning, e.g. `providers[1].credentials:
   * GITHUB_TOKEN is not set; provider github has no credentials`. Such a provider is not keyless:
   * it is not ready and never asked without a key. A provider without either key is keyless.
   */
  credentialsMissing?: string;
  /** Static model list; when absent the provider's `listModels` is asked and cached. */
  models?: ModelInfo[];
  modelsCacheTtlMs: number;
  /** `pool`, `throttle`, `cooldowns`, `retry`, `breaker`, `bulkhead` as written (see effectiveSettings). */
  sections: ProviderSections;
  /** The plugin's own keys, validated against its schema. */
  options: Record<string, unknown>;
  /** Position in `providers:`, for messages that name the YAML path. */
  index: number;
}

export interface RouteTarget {
  provider: string;
  model: string;
}

export interface ModelRoute {
  id: string;
  targets: RouteTarget[];
  description?: string;
}

export interface ServerConfig {
  host: string;
  port: number;
  bodyLimit: number;
  logLevel: string;
  accessLog: boolean;
  trustProxy: boolean;
  /** How long shutdown lets requests in flight finish before ending open streams. */
  shutdownGraceMs: number;
  cors: CorsConfig;
}

/** `server.cors`, resolved: who may call the client routes from a browser. */
export interface CorsConfig {
  /**
   * Origins as written, lower-cased: exact (`https://chat.example.com`), any port
   * (`http://localhost:*`), or `*` for every origin. Empty: no CORS at all.
   */
  origins: string[];
}

export interface ExtensionConfig {
  name: string;
  options: Record<string, unknown>;
}

export interface Config {
  server: ServerConfig;
  /** Client keys, and the admin keys for admin endpoints (from `auth.adminKey`). */
  auth: {
    apiKeys: string[];
    /** Each client key's `name` (same order as apiKeys; undefined for a key without one). */
    apiKeyNames: (string | undefined)[];
    adminKeys: string[];
  };
  /** Where pool state and stats persist (path already absolute). */
  state: StateConfig;
  /** Responses kept for `previous_response_id` (`POST /v1/responses` with `store`). */
  responses: { ttlHours: number; maxStored: number };
  /** Requests and tokens per client, model and hour, kept this many days (the admin API's usage). */
  usage: { retentionDays: number };
  providers: ProviderConfig[];
  models: ModelRoute[];
  plugins: ExtensionConfig[];
  /** Absolute path of the file, or undefined for a config built in code. */
  path?: string;
  /** Folder relative paths in the config resolve against. */
  dir: string;
}

/** The `state:` section, resolved. */
export interface StateConfig {
  driver: 'memory' | 'file' | 'redis';
  /** Absolute: the config loader resolves it against the config file's folder. */
  path: string;
  /** How long `changed()` waits before writing, so a burst of requests costs one write. */
  debounceMs: number;
  /** `redis`: the server (`state.url`, else env REDIS_URL, else redis://127.0.0.1:6379). */
  url: string;
  /** `redis`: every key starts with it, so instances of different deployments can share a server. */
  keyPrefix: string;
  connectTimeoutMs: number;
  /** `redis`: how often counters and records are exchanged with the other instances. */
  syncIntervalMs: number;
  /** `redis`: no request waits longer than this on Redis; past it the instance decides alone. */
  commandTimeoutMs: number;
}
