import { LRUCache } from 'lru-cache';
import type { ModelInfo } from '../contract/openai.js';
import type { ProviderHandle, ProviderRegistry } from '../providers/registry.js';

interface ModelSet {
  list: ModelInfo[];
  ids: Set<string>;
}

/** After a failed discovery, wait this long before asking that upstream again. */
const RETRY_AFTER_FAILURE_MS = 30_000;

const toSet = (list: ModelInfo[]): ModelSet => ({ list, ids: new Set(list.flatMap((m) => (m.aliases ? [m.id, ...m.aliases] : [m.id]))) });

/**
 * Each provider's model list: the static one from config, or the provider's `listModels()`
 * cached for `modelsCacheTtlMs`. An expired list is served while it refreshes, and kept when the
 * refresh fails, so a flapping upstream never empties `/v1/models`.
 */
export class ModelCatalog {
  readonly #static = new Map<string, ModelSet>();
  readonly #failedAt = new Map<string, number>();
  readonly #cache: LRUCache<string, ModelSet>;

  constructor(private readonly registry: ProviderRegistry) {
    for (const h of registry.handles) if (h.config.models) this.#static.set(h.id, toSet(h.config.models));
    this.#cache = new LRUCache<string, ModelSet>({
      max: 1024,
      ttl: 600_000,
      allowStale: true,
      noDeleteOnStaleGet: true,
      allowStaleOnFetchRejection: true,
      noDeleteOnFetchRejection: true,
      fetchMethod: async (id) => {
        const h = registry.get(id) as ProviderHandle;
        try {
          const list = await h.instance.listModels();
          this.#failedAt.delete(id);
          return toSet(list);
        } catch (err) {
          this.#failedAt.set(id, Date.now());
          h.log.warn({ err: (err as Error).message }, 'model discovery failed; serving the last known list');
          throw err;
        }
      },
    });
  }

  /** Start discovery for every provider without a static list; start-up does not wait for it. */
  warm(): void {
    for (const h of this.registry.handles) if (!this.#static.has(h.id)) void this.#models(h).catch(() => undefined);
  }

  /** The provider's models; empty when it has never been reachable. */
  async list(h: ProviderHandle): Promise<ModelInfo[]> {
    return ((await this.#models(h).catch(() => undefined)) ?? toSet([])).list;
  }

  /** Whether the provider's models are unknown: no static list, and no credentials to ask with. */
  blind(h: ProviderHandle): boolean {
    return h.pool.missing !== undefined && !this.#static.has(h.id) && !this.#cache.has(h.id);
  }

  /** Whether the provider serves `model`, by its current (possibly stale) list. */
  async has(h: ProviderHandle, model: string): Promise<boolean> {
    const set = this.#static.get(h.id) ?? (await this.#models(h).catch(() => undefined));
    return set?.ids.has(model) ?? false;
  }

  /** Whether `h` lists `model` by what is known now: never asks the upstream (labels, on a request's path). */
  knownNow(h: ProviderHandle, model: string): boolean {
    return (this.#static.get(h.id) ?? this.#cache.peek(h.id, { allowStale: true }))?.ids.has(model) ?? false;
  }

  #models(h: ProviderHandle): Promise<ModelSet | undefined> {
    const fixed = this.#static.get(h.id);
    if (fixed) return Promise.resolve(fixed);
    // Configured credentials that resolved to nothing: never ask the upstream without a key.
    if (h.pool.missing !== undefined) return Promise.resolve(this.#cache.get(h.id));
    const failed = this.#failedAt.get(h.id);
    if (failed !== undefined && Date.now() - failed < RETRY_AFTER_FAILURE_MS) {
      return Promise.resolve(this.#cache.get(h.id));
    }
    return this.#cache.fetch(h.id, { ttl: h.config.modelsCacheTtlMs || 1 });
  }
}
