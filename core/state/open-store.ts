/** Picks the state driver named in the `state:` config section. */
import type { Logger } from '../contract/provider.js';
import { openFileStore } from './file-store.js';
import { MemoryStore } from './memory-store.js';
import type { StateStore } from './store.js';

export interface StateConfig {
  driver: 'memory' | 'file';
  /** Absolute: the config loader resolves it against the config file's folder. */
  path: string;
  /** How long `changed()` waits before writing, so a burst of requests costs one write. */
  debounceMs: number;
}

export async function openStateStore(config: StateConfig, log: Logger): Promise<StateStore> {
  switch (config.driver) {
    case 'memory':
      return new MemoryStore();
    case 'file':
      return openFileStore({ path: config.path, debounceMs: config.debounceMs, log });
    default:
      // The config schema already refuses other drivers; this guards hand-built configs.
      throw new Error(`unknown state driver "${(config as { driver: unknown }).driver}"`);
  }
}
