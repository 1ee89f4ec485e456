/** Picks the state driver named in the `state:` config section. */
import type { Logger } from '../contract/provider.js';
import { openFileStore } from './file-store.js';
import { MemoryStore } from './memory-store.js';
import { openRedisStore } from './redis-store.js';
import type { StateStore } from './store.js';
import type { StateConfig } from '../config/types.js';

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
