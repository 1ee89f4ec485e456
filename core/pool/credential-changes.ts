import type { Credential } from '../contract/provider.js';
import type { CredentialChange, CredentialChanges } from '../state/credential-changes.js';
import { secretHash, toCredential } from './credentials.js';

/** A credential's stable key in the state store: its configured name, or a hash of the secret. */
export function credentialKey(c: { name?: string; secret: string }): string {
  return c.name ?? `sha256:${secretHash(c.secret).slice(0, 16)}`;
}

/**
 * The configured credentials less the ones an admin removed, then the ones added, in the order
 * added (the changes as the state store keeps them: core/state/credential-changes.ts).
 */
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
