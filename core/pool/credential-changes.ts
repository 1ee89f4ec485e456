import type { Credential } from '../contract/provider.js';
import { secretHash, toCredential } from './credentials.js';

/**
 * Credentials an admin added or removed at run time (`POST /v1/tokens/add`, `/delete`), kept in
 * the state store per provider so they survive restarts and reach every instance: credential key
 * -> the added credential, or a mark that a configured one was removed. The store therefore holds
 * the secrets of added credentials: protect it like the config.
 */
export type CredentialChange = { secret: string; name?: string; tier?: string; at: number } | { removed: true; at: number };
export type CredentialChanges = Record<string, CredentialChange>;

/** A credential's stable key in the state store: its configured name, or a hash of the secret. */
export function credentialKey(c: { name?: string; secret: string }): string {
  return c.name ?? `sha256:${secretHash(c.secret).slice(0, 16)}`;
}

/** The configured credentials less the removed ones, then the added ones, in the order added. */
export function effectiveCredentials(configured: readonly Credential[], changes: CredentialChanges | undefined): Credential[] {
  if (!changes) return [...configured];
  const out = configured.filter((c) => !isRemoved(changes[credentialKey(c)]));
  const have = new Set(configured.map(credentialKey));
  const added = Object.entries(changes)
    .filter(([key, ch]) => !have.has(key) && !isRemoved(ch))
    .sort(([, a], [, b]) => a.at - b.at);
  for (const [, ch] of added) {
    const a = ch as { secret: string; name?: string; tier?: string };
    out.push(toCredential({ secret: a.secret, name: a.name, tier: a.tier }));
  }
  return out;
}

function isRemoved(ch: CredentialChange | undefined): boolean {
  return ch !== undefined && 'removed' in ch;
}

/** Changes read back from the store, checked (a bad entry is dropped, not trusted). */
export function hydrateChanges(raw: unknown): CredentialChanges {
  const out = Object.create(null) as CredentialChanges;
  if (!raw || typeof raw !== 'object') return out;
  for (const [key, v] of Object.entries(raw as Record<string, unknown>)) {
    const c = v as Record<string, unknown> | null;
    if (!c || typeof c !== 'object' || typeof c.at !== 'number') continue;
    if (c.removed === true) out[key] = { removed: true, at: c.at };
    else if (typeof c.secret === 'string' && c.secret) {
      out[key] = { secret: c.secret, at: c.at, ...(typeof c.name === 'string' ? { name: c.name } : {}), ...(typeof c.tier === 'string' ? { tier: c.tier } : {}) };
    }
  }
  return out;
}
