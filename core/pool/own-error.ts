import { GatewayError } from '../errors/gateway-error.js';
import type { PoolEntry } from './pool-entry.js';

/**
 * Why a pool cannot serve for a reason of its own, which says more to the client than any
 * upstream failure of the request: it has no credentials although some were configured
 * (`missing`: the start-up warning), or it has none configured and its upstream refused it.
 */
export function ownError(providerId: string, entries: readonly PoolEntry[], missing: string | undefined, now: number): { summary: string; error: GatewayError } | undefined {
  if (entries.length === 0) {
    const why = missing ?? `provider ${providerId} has no credentials`;
    return {
      summary: 'no credentials',
      error: new GatewayError('SWB_ERR_NO_CREDENTIALS', `${why}. Add them to the config and reload, or with POST /v1/tokens/add.`),
    };
  }
  const e = entries[0];
  if (e.credential || e.restUntil <= now) return undefined;
  const s = Math.max(1, Math.ceil((e.restUntil - now) / 1000));
  return {
    summary: `refused without a credential (${e.restReason}), resting ${s}s`,
    error: new GatewayError(
      'SWB_ERR_NO_UPSTREAM',
      `Provider "${providerId}" is configured without credentials and its upstream refused a request without one (${e.restReason}); it is tried again in ${s}s. If the upstream needs a key, give the provider credentials.`,
      { headers: { 'retry-after': String(s) } },
    ),
  };
}
