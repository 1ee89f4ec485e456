import type { InjectionToken } from 'tsyringe';
import type { Config } from './config/types.js';
import type { Logger } from './contract/provider.js';
import type { Dispatcher } from './dispatch/dispatcher.js';
import type { ModelCatalog } from './routing/model-catalog.js';
import type { ProviderRegistry } from './providers/registry.js';
import type { ModelRouter } from './routing/router.js';
import type { Clock } from './state/clock.js';
import type { StateStore } from './state/store.js';

/**
 * Injection tokens of the core services. Explicit symbols only: vitest compiles with esbuild,
 * which emits no decorator metadata, so nothing may depend on inferred constructor types.
 */
export const CONFIG: InjectionToken<Config> = Symbol('switchboard.config');
export const LOGGER: InjectionToken<Logger> = Symbol('switchboard.logger');
export const PROVIDERS: InjectionToken<ProviderRegistry> = Symbol('switchboard.providers');
export const MODEL_CATALOG: InjectionToken<ModelCatalog> = Symbol('switchboard.model-catalog');
export const MODEL_ROUTER: InjectionToken<ModelRouter> = Symbol('switchboard.model-router');
export const DISPATCHER: InjectionToken<Dispatcher> = Symbol('switchboard.dispatcher');
export const STATE_STORE: InjectionToken<StateStore> = Symbol('switchboard.state-store');
export const CLOCK: InjectionToken<Clock> = Symbol('switchboard.clock');
