import { GatewayError } from '../errors/gateway-error.js';
import type { ProviderHandle, ProviderRegistry } from '../providers/registry.js';

/**
 * The pools an admin request is about: the one named by `?provider=<id>`, else every provider in
 * config order. An unknown or repeated `provider` is the client's mistake: a 400 naming the known
 * ids.
 */
export function selectProviders(registry: ProviderRegistry, query: unknown): readonly ProviderHandle[] {
  const wanted = query && typeof query === 'object' ? (query as Record<string, unknown>).provider : undefined;
  if (wanted === undefined) return registry.handles;
  const known = registry.handles.map((h) => h.id).join(', ');
  const handle = typeof wanted === 'string' ? registry.get(wanted) : undefined;
  if (!handle) {
    const what = typeof wanted === 'string' ? `Unknown provider ${JSON.stringify(wanted.slice(0, 100))}` : `Invalid value for 'provider': give one provider id`;
    throw new GatewayError('SWB_ERR_INVALID_VALUE', `${what}; known: ${known}.`, { param: 'provider' });
  }
  return [handle];
}
