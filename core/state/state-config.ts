/** The `state:` config section, as the drivers read it (the config loader fills it in). */
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
