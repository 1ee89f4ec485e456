/** Picks the state driver named in the `state:` config section. */
import type { Logger } from '../contract/provider.js';
import { openFileStore } from './file-store.js';
import { MemoryStore } from './memory-store.js';
import type { StateStore } from './store.js';
import type { StateConfig } from '../config/types.js';

export async function openStateStore(config: StateConfig, log: Logger): Promise<StateStore> {
  switch (config.driver) {
    case 'memory':
      return new MemoryStore();
    case 'file':
      return openFileStore({ path: config.path, debounceMs: config.debounceMs, log });
    case 'redis': {
      // Loaded only here: ioredis and the Redis modules cost ~10 MB of RSS that the file and
      // memory drivers never use.
      const { openRedisStore } = await import('./redis-store.js');
      return openRedisStore(config, log);
    }
    default:
      // The config schema already refuses other drivers; this guards hand-built configs.
      throw new Error(`unknown state driver "${(config as { driver: unknown }).driver}"`);
  }
}
