import type { ModelRoute, RouteTarget } from '../config/types.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { ModelCatalog } from './model-catalog.js';
import { bySpecificity, ModelPattern } from './model-pattern.js';
import type { ProviderRegistry } from '../providers/registry.js';

/** Where one requested model may be served, best first. */
export interface Route {
  readonly model: string;
  readonly targets: readonly RouteTarget[];
  /** What the config says of an alias (`models.<alias>.description`), shown in `/v1/models`. */
  readonly description?: string;
}

/** A `models:` key with `*`: the names it matches and where they go. */
interface PatternRoute {
  pattern: ModelPattern;
  targets: readonly RouteTarget[];
  /** Whether a target's model is `*`, the requested name itself. */
  passesName: boolean;
}

/**
 * Resolves the client's `model` to targets: a configured alias (ordered fallbacks), then
 * `provider/model` addressing, then the most specific `models:` pattern that matches, then the
 * first provider (in config order) that lists the model, then the catch-all pattern `*`.
 * A target whose model is `*` is served the requested name.
 */
export class ModelRouter {
  readonly #aliases = new Map<string, Route>();
  readonly #patterns: PatternRoute[];
  readonly #catchAll: PatternRoute | undefined;

  constructor(
    routes: readonly ModelRoute[],
    private readonly registry: ProviderRegistry,
    private readonly catalog: ModelCatalog,
  ) {
    const patterns: PatternRoute[] = [];
    for (const r of routes) {
      if (ModelPattern.isPattern(r.id)) patterns.push({ pattern: new ModelPattern(r.id), targets: r.targets, passesName: r.targets.some((t) => t.model === '*') });
      else this.#aliases.set(r.id, withDescription({ model: r.id, targets: named(r.targets, r.id) }, r.description));
    }
    this.#patterns = bySpecificity(patterns.filter((p) => !p.pattern.catchAll));
    this.#catchAll = patterns.find((p) => p.pattern.catchAll);
  }

  /** The exact aliases (listed in `/v1/models`); patterns are not model ids, so they are not here. */
  get aliases(): readonly Route[] {
    return [...this.#aliases.values()];
  }

  isAlias(model: string): boolean {
    return this.#aliases.has(model);
  }

  /** The route for `model`; a synchronous answer for aliases, addressed models and patterns. */
  resolve(model: string): Route | Promise<Route> {
    const alias = this.#aliases.get(model);
    if (alias) return alias;
    const slash = model.indexOf('/');
    if (slash > 0 && slash < model.length - 1 && this.registry.get(model.slice(0, slash))) {
      return { model, targets: [{ provider: model.slice(0, slash), model: model.slice(slash + 1) }] };
    }
    for (const p of this.#patterns) if (p.pattern.matches(model)) return patternRoute(p, model);
    return this.#byListing(model);
  }

  /** The pattern that routes `model` when no alias or provider does (for `GET /v1/models/{id}`). */
  patternFor(model: string): string | undefined {
    return (this.#patterns.find((p) => p.pattern.matches(model)) ?? this.#catchAll)?.pattern.source;
  }

  async #byListing(model: string): Promise<Route> {
    for (const h of this.registry.handles) {
      if (await this.catalog.has(h, model)) return { model, targets: [{ provider: h.id, model }] };
    }
    if (this.#catchAll) return patternRoute(this.#catchAll, model);
    // A provider left without credentials may well serve it: say that, not "no such model".
    const blind = this.registry.handles.find((h) => this.catalog.blind(h));
    if (blind) {
      throw new GatewayError('SWB_ERR_NO_CREDENTIALS', `${blind.pool.missing}, so its models are unknown and the model '${model}' may be one of them. Add credentials to the config and reload, or with POST /v1/tokens/add.`, { param: 'model' });
    }
    throw modelNotFound(model);
  }
}

const withDescription = (route: Route, description: string | undefined): Route => (description === undefined ? route : { ...route, description });

/** Targets with the model `*` given the requested name. */
const named = (targets: readonly RouteTarget[], model: string): readonly RouteTarget[] =>
  targets.some((t) => t.model === '*') ? targets.map((t) => (t.model === '*' ? { provider: t.provider, model } : t)) : targets;

const patternRoute = (p: PatternRoute, model: string): Route => ({ model, targets: p.passesName ? named(p.targets, model) : p.targets });

export function modelNotFound(model: string): GatewayError {
  return new GatewayError(
    'SWB_ERR_MODEL_NOT_FOUND',
    `The model '${model}' does not exist or is not served here. GET /v1/models lists the models this server offers.`,
    { param: 'model' },
  );
}
