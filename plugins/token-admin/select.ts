import { GatewayError, type ProviderHandle, type ProviderRegistry } from '../../core/index.js';

/**
 * The pools a request is about: the one named by `?provider=<id>`, else every provider in config
 * order. An unknown or repeated `provider` is the client's mistake: a 400 naming the known ids.
 */
export function selectProviders(registry: ProviderRegistry, query: unknown): readonly ProviderHandle[] {
  const wanted = query && typeof query === 'object' ? (query as Record<string, unknown>).provider : undefined;
  if (wanted === undefined) return registry.handles;
  const known = registry.handles.map((h) => h.id).join(', ');
  if (typeof wanted !== 'string') {
    throw new GatewayError('SWB_ERR_INVALID_VALUE', `Invalid value for 'provider': give one provider id; known: ${known}.`, { param: 'provider' });
  }
  const handle = registry.get(wanted);
  if (!handle) {
    throw new GatewayError('SWB_ERR_INVALID_VALUE', `Unknown provider ${JSON.stringify(wanted.slice(0, 100))}; known: ${known}.`, { param: 'provider' });
  }
  return [handle];
}
