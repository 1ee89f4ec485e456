import type { ProviderRegistry } from '../providers/registry.js';
import type { ModelCatalog } from './model-catalog.js';
import type { ModelRouter } from './router.js';

/** Every model name that is not a known one shares this label. */
export const OTHER_MODEL = 'other';
const MAX_REMEMBERED = 2048;

/**
 * A requested model name as a metric label or usage key: the name itself when the config or a
 * provider's model list knows it (an alias, `provider/model`, or a listed id), else `other`.
 * Clients may send any name; only the known ones become label values, so the series stay bounded.
 */
export class ModelLabels {
  readonly #known = new Set<string>();

  constructor(
    private readonly router: ModelRouter,
    private readonly catalog: ModelCatalog,
    private readonly registry: ProviderRegistry,
  ) {}

  label(model: string): string {
    if (this.#known.has(model)) return model;
    if (!this.#knows(model)) return OTHER_MODEL;
    if (this.#known.size < MAX_REMEMBERED) this.#known.add(model);
    return model;
  }

  #knows(model: string): boolean {
    if (this.router.isAlias(model)) return true;
    const slash = model.indexOf('/');
    if (slash > 0) {
      const h = this.registry.get(model.slice(0, slash));
      if (h && this.catalog.knownNow(h, model.slice(slash + 1))) return true;
    }
    return this.registry.handles.some((h) => this.catalog.knownNow(h, model));
  }
}
