import { isDeepStrictEqual } from 'node:util';
import { effectiveSettings, withInstancePool } from '../providers/settings.js';
import type { Config, ProviderConfig } from '../config/types.js';
import { toCredential } from '../pool/credentials.js';
import type { ProviderRegistry } from '../providers/registry.js';

/**
 * What a re-read config changes in a running instance. Live: each provider's credentials and its
 * pool settings (`pool`, `throttle`, `cooldowns`). Everything else (server, auth, state, plugins,
 * model routes, providers added or removed, a provider's plugin, options, timeouts, retry,
 * breaker, bulkhead) is built once at start-up: it is reported as needing a restart, not applied.
 */
export interface ReloadPlan {
  /** What will change, by config path (never a value: they may be secrets). */
  applied: string[];
  restartNeeded: string[];
  apply(): void;
}

const LIVE_SECTIONS = ['pool', 'throttle', 'cooldowns'] as const;
const BUILT_SECTIONS = ['timeouts', 'retry', 'breaker', 'bulkhead'] as const;
const BUILT_KEYS = ['plugin', 'enabled', 'options', 'models', 'modelsCacheTtlMs'] as const;

export function planReload(current: Config, next: Config, registry: ProviderRegistry): ReloadPlan {
  const applied: string[] = [];
  const restartNeeded: string[] = [];
  const steps: (() => void)[] = [];
  for (const k of ['server', 'auth', 'state', 'plugins', 'models'] as const) if (!isDeepStrictEqual(current[k], next[k])) restartNeeded.push(k);
  const before = new Map(current.providers.map((p) => [p.id, p]));
  const after = new Map(next.providers.map((p) => [p.id, p]));
  for (const id of after.keys()) if (!before.has(id)) restartNeeded.push(`providers.${id} (added)`);
  for (const id of before.keys()) if (!after.has(id)) restartNeeded.push(`providers.${id} (removed)`);
  for (const [id, now] of after) {
    const was = before.get(id);
    const handle = registry.get(id);
    if (!was || !handle) continue;
    for (const k of BUILT_KEYS) if (!isDeepStrictEqual(was[k], now[k])) restartNeeded.push(`providers.${id}.${k}`);
    for (const k of BUILT_SECTIONS) if (!isDeepStrictEqual(was.sections[k], now.sections[k])) restartNeeded.push(`providers.${id}.${k}`);
    if (!sameCredentials(was, now)) {
      applied.push(`providers.${id}.credentials`);
      steps.push(() => handle.pool.setConfigured(now.credentials.map(toCredential), now.credentialsMissing));
    }
    const changed = LIVE_SECTIONS.filter((k) => !isDeepStrictEqual(was.sections[k], now.sections[k]));
    if (changed.length) {
      applied.push(...changed.map((k) => `providers.${id}.${k}`));
      steps.push(() => {
        const pool = effectiveSettings(now.sections, handle.plugin.defaults).pool;
        handle.pool.settings = withInstancePool(pool, handle.instance);
        handle.pool.wake(); // a shorter interval or a longer window may free waiters now
      });
    }
  }
  return {
    applied,
    restartNeeded,
    apply: () => {
      for (const step of steps) step();
    },
  };
}

function sameCredentials(a: ProviderConfig, b: ProviderConfig): boolean {
  return isDeepStrictEqual(a.credentials, b.credentials) && a.credentialsMissing === b.credentialsMissing;
}
