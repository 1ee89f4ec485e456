/** Picks the state driver named in the `state:` config section. */
import type { Logger } from '../contract/provider.js';
import { openFileStore } from './file-store.js';
import { MemoryStore } from './memory-store.js';
import { openRedisStore } from './redis-store.js';
import type { StateStore } from './store.js';

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

export async function openStateStore(config: StateConfig, log: Logger): Promise<StateStore> {
  switch (config.driver) {
    case 'memory':
      return new MemoryStore();
    case 'file':
      return openFileStore({ path: config.path, debounceMs: config.debounceMs, log });
    case 'redis':
      return openRedisStore(config, log);
    default:
      // The config schema already refuses other drivers; this guards hand-built configs.
      throw new Error(`unknown state driver "${(config as { driver: unknown }).driver}"`);
  }
}
