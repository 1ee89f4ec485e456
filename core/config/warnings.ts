import type { Config } from './types.js';

/**
 * What is worth a warning at start-up (and in `--check`) without being an error: an enabled
 * provider whose configured credentials all resolved to nothing. It starts, not ready, so the
 * others serve and credentials can be added at run time.
 */
export function configWarnings(config: Config): string[] {
  return config.providers.flatMap((p) => (p.enabled && p.credentialsMissing ? [p.credentialsMissing] : []));
}
