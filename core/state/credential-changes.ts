/**
 * Credentials an admin added or removed at run time (`POST /v1/tokens/add`, `/delete`), kept in
 * the state store per provider so they survive restarts and reach every instance: credential key
 * -> the added credential, or a mark that a configured one was removed. The store therefore holds
 * the secrets of added credentials: protect it like the config. (What the pool makes of them:
 * core/pool/credential-changes.ts.)
 */
export type CredentialChange = { secret: string; name?: string; tier?: string; at: number } | { removed: true; at: number };
export type CredentialChanges = Record<string, CredentialChange>;

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
