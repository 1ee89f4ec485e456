import type { ResilienceSettings } from '../resilience/settings.js';
import { DEFAULT_RESILIENCE } from '../resilience/settings.js';
import type { PoolSettings } from '../pool/settings.js';
import type { Provider, ProviderDefaults, ProviderSections, Timeouts } from '../contract/provider.js';
import { DEFAULT_POOL_SETTINGS } from '../pool/settings.js';

/** The core's timeouts, under every plugin's and config's. */
export const DEFAULT_TIMEOUTS: Timeouts = { firstByteMs: 120_000, idleMs: 120_000, totalMs: 600_000 };

/** A provider's pool settings with what its instance declares: its rate-limit scope and groups. */
export function withInstancePool(pool: PoolSettings, instance: Provider): PoolSettings {
  return { ...pool, rateLimitScope: pool.rateLimitScope ?? instance.rateLimitScope ?? 'model', rateLimitGroup: instance.rateLimitGroup?.bind(instance) };
}

/** The settings a provider runs with: core defaults, then the plugin's, then the config's. */
export function effectiveSettings(
  user: ProviderSections,
  plugin: ProviderDefaults = {},
  coreTimeouts: Timeouts = DEFAULT_TIMEOUTS,
): { pool: PoolSettings; resilience: ResilienceSettings; timeouts: Timeouts } {
  const d = DEFAULT_POOL_SETTINGS;
  const pool = { ...plugin.pool, ...user.pool } as Partial<PoolSettings>;
  const r = DEFAULT_RESILIENCE;
  return {
    pool: {
      strategy: pool.strategy ?? d.strategy,
      waitForCooldownMs: pool.waitForCooldownMs ?? d.waitForCooldownMs,
      rateLimitScope: pool.rateLimitScope,
      throttle: { ...d.throttle, ...plugin.throttle, ...user.throttle },
      cooldowns: { ...d.cooldowns, ...plugin.cooldowns, ...user.cooldowns },
    },
    timeouts: { ...coreTimeouts, ...plugin.timeouts, ...user.timeouts } as Timeouts,
    resilience: {
      retry: { ...r.retry, ...plugin.retry, ...user.retry },
      breaker: { ...r.breaker, ...plugin.breaker, ...user.breaker },
      bulkhead: { ...r.bulkhead, ...plugin.bulkhead, ...user.bulkhead },
    },
  };
}
