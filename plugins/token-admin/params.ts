/**
 * What the token endpoints read from a request body, checked: a bad value is a 400 naming its
 * parameter, and a value that may be a secret is never echoed.
 */
import { GatewayError, parseNewCredentials, type NewCredential, type PoolEntry, type ProviderHandle } from '../../core/index.js';

/** `{"token": ...}`: the `key` that /v1/tokens/stats shows, the state key or the secret itself. */
export function namedToken(handles: readonly ProviderHandle[], body: unknown): { handle: ProviderHandle; entry: PoolEntry } {
  const token = body && typeof body === 'object' ? (body as Record<string, unknown>).token : undefined;
  if (typeof token !== 'string' || token === '') {
    throw new GatewayError('SWB_ERR_INVALID_VALUE', `Name the token in the JSON body: {"token": "<key as /v1/tokens/stats shows it>"}.`, { param: 'token' });
  }
  const found = handles.flatMap((handle) => handle.pool.findAll(token).map((entry) => ({ handle, entry })));
  if (found.length === 1) return found[0];
  // The name may be a secret: never echo it. Candidates are shown by their (unique) ids.
  if (found.length > 1) {
    const ids = found.map((f) => (handles.length > 1 ? `${f.handle.id}: ${f.entry.id}` : f.entry.id));
    throw new GatewayError('SWB_ERR_AMBIGUOUS_TOKEN', `The token you named matches ${found.length} tokens (${ids.join(', ')}); name one by its key as /v1/tokens/stats shows it${handles.length > 1 ? ', or the provider with "provider"' : ''}. Nothing was changed.`, {
      param: 'token',
    });
  }
  throw new GatewayError('SWB_ERR_INVALID_VALUE', `The token you named matches no token of ${describe(handles)}; see /v1/tokens/stats for their keys.`, { param: 'token' });
}

const MAX_REASON = 200;
const MAX_BATCH = 1000;

/** `{"tokens": ["<key as /v1/tokens/stats shows it>", ...]}`: the tokens to delete. */
export function tokenNames(body: unknown): unknown[] {
  const names = body && typeof body === 'object' ? (body as Record<string, unknown>).tokens : undefined;
  if (!Array.isArray(names) || names.length === 0 || names.length > MAX_BATCH) {
    throw new GatewayError('SWB_ERR_INVALID_VALUE', `Give the tokens to delete as {"tokens": ["<key as /v1/tokens/stats shows it>", ...]} (1 to ${MAX_BATCH}).`, { param: 'tokens' });
  }
  return names;
}

/** Adding or deleting acts on one pool: `?provider=` must name it when there are several. */
export function oneProvider(handles: readonly ProviderHandle[], what: string): ProviderHandle {
  if (handles.length === 1) return handles[0];
  throw new GatewayError('SWB_ERR_INVALID_VALUE', `Name the provider to ${what} with "provider" (${handles.map((h) => h.id).join(', ')}).`, { param: 'provider' });
}

/** `{"tokens": ["<secret>", {"value": "<secret>", "name": "GITHUB_TOKEN5", "tier": "super"}]}`, checked. */
export function newTokens(body: unknown): NewCredential[] {
  return parseNewCredentials(body && typeof body === 'object' ? (body as Record<string, unknown>).tokens : undefined, 'tokens');
}

export function reasonOf(body: unknown): string {
  const reason = body && typeof body === 'object' ? (body as Record<string, unknown>).reason : undefined;
  if (reason === undefined) return 'disabled by an admin';
  if (typeof reason !== 'string' || reason.length > MAX_REASON) {
    throw new GatewayError('SWB_ERR_INVALID_VALUE', `Invalid value for 'reason': give a string of at most ${MAX_REASON} characters.`, { param: 'reason' });
  }
  return reason;
}

export function describe(handles: readonly ProviderHandle[]): string {
  return handles.length === 1 ? `provider "${handles[0].id}"` : `${handles.length} providers (${handles.map((h) => h.id).join(', ')})`;
}

