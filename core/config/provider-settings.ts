import type { ResilienceSettings } from '../dispatch/resilience-settings.js';
import { DEFAULT_RESILIENCE } from '../dispatch/resilience-settings.js';
import type { PoolSettings } from '../pool/settings.js';
import type { Timeouts } from '../contract/provider.js';
import { DEFAULT_POOL_SETTINGS } from '../pool/settings.js';

type Section = Record<string, unknown>;

/** The resilience keys of one `providers[]` entry, as written (all optional). */
export interface ProviderSections {
  timeouts?: Section;
  pool?: Section;
  throttle?: Section;
  cooldowns?: Section;
  retry?: Section;
  breaker?: Section;
  bulkhead?: Section;
}

/**
 * Defaults a provider plugin brings for its upstream (GitHub Models wants a 2 s throttle, say):
 * they sit between the core's defaults and what the config file says.
 */
export type ProviderDefaults = { [K in keyof ProviderSections]?: Section };

/** The settings a provider runs with: core defaults, then the plugin's, then the config's. */
export function effectiveSettings(
  user: ProviderSections,
  plugin: ProviderDefaults = {},
  coreTimeouts?: Timeouts,
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
    timeouts: { ...(coreTimeouts as Timeouts), ...plugin.timeouts, ...user.timeouts } as Timeouts,
    resilience: {
      retry: { ...r.retry, ...plugin.retry, ...user.retry },
      breaker: { ...r.breaker, ...plugin.breaker, ...user.breaker },
      bulkhead: { ...r.bulkhead, ...plugin.bulkhead, ...user.bulkhead },
    },
  };
}
