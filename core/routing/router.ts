import type { ModelRoute, RouteTarget } from '../config/types.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { ModelCatalog } from './model-catalog.js';
import type { ProviderRegistry } from '../providers/registry.js';

/** Where one requested model may be served, best first. */
export interface Route {
  readonly model: string;
  readonly targets: readonly RouteTarget[];
  /** What the config says of an alias (`models.<alias>.description`), shown in `/v1/models`. */
  readonly description?: string;
}

/**
 * Resolves the client's `model` to targets: a configured alias (ordered fallbacks), then
 * `provider/model` addressing, then the first provider (in config order) that lists the model.
 */
export class ModelRouter {
  readonly #aliases = new Map<string, Route>();

  constructor(
    routes: readonly ModelRoute[],
    private readonly registry: ProviderRegistry,
    private readonly catalog: ModelCatalog,
  ) {
    for (const r of routes) this.#aliases.set(r.id, r.description === undefined ? { model: r.id, targets: r.targets } : { model: r.id, targets: r.targets, description: r.description });
  }

  get aliases(): readonly Route[] {
    return [...this.#aliases.values()];
  }

  /** The route for `model`; a synchronous answer for aliases and addressed models. */
  resolve(model: string): Route | Promise<Route> {
    const alias = this.#aliases.get(model);
    if (alias) return alias;
    const slash = model.indexOf('/');
    if (slash > 0 && slash < model.length - 1 && this.registry.get(model.slice(0, slash))) {
      return { model, targets: [{ provider: model.slice(0, slash), model: model.slice(slash + 1) }] };
    }
    return this.#byListing(model);
  }

  async #byListing(model: string): Promise<Route> {
    for (const h of this.registry.handles) {
      if (await this.catalog.has(h, model)) return { model, targets: [{ provider: h.id, model }] };
    }
    // A provider left without credentials may well serve it: say that, not "no such model".
    const blind = this.registry.handles.find((h) => this.catalog.blind(h));
    if (blind) {
      throw new GatewayError('SWB_ERR_NO_CREDENTIALS', `${blind.pool.missing}, so its models are unknown and the model '${model}' may be one of them. Add credentials to the config and reload, or with POST /v1/tokens/add.`, { param: 'model' });
    }
    throw modelNotFound(model);
  }
}

export function modelNotFound(model: string): GatewayError {
  return new GatewayError(
    'SWB_ERR_MODEL_NOT_FOUND',
    `The model '${model}' does not exist or is not served here. GET /v1/models lists the models this server offers.`,
    { param: 'model' },
  );
}
