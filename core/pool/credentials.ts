import { hash } from 'node:crypto';
import type { Credential } from '../contract/provider.js';
import type { CredentialEntry } from '../config/types.js';

/**
 * What a credential looks like wherever it is shown: its configured name, or a recognisable but
 * useless form of the secret (`ghp_…abcd·3f2a`): its last 4 characters (none for short secrets)
 * and the first 4 hex digits of its SHA-256 (the start of its `sha256:` state key), so two
 * secrets that end alike still look different, the same on every restart and instance.
 */
export function maskSecret(secret: string): string {
  return `${maskedTail(secret)}·${secretHash(secret).slice(0, 4)}`;
}

/** The mask without its hash (`ghp_…abcd`, `…` for short secrets): what ids looked like before. */
export function maskedTail(secret: string): string {
  if (secret.length < 12) return '…';
  const prefix = /^[A-Za-z]{2,8}[_-]/.exec(secret)?.[0] ?? '';
  return `${prefix}…${secret.slice(-4)}`;
}

/** Hex SHA-256 of a secret: the source of its state key and of the hash in its masked id. */
export function secretHash(secret: string): string {
  return hash('sha256', secret);
}

export function toCredential(entry: CredentialEntry): Credential {
  const c: { -readonly [K in keyof Credential]: Credential[K] } = {
    id: entry.name ?? maskSecret(entry.secret),
    secret: entry.secret,
  };
  if (entry.name) c.name = entry.name;
  if (entry.tier) c.tier = entry.tier;
  if (entry.tags) c.tags = entry.tags;
  // `secret` stays enumerable for plugins, but JSON and util.inspect never print it.
  Object.defineProperty(c, 'toJSON', { value: () => ({ id: c.id, name: c.name, tier: c.tier, tags: c.tags }) });
  Object.defineProperty(c, Symbol.for('nodejs.util.inspect.custom'), { value: () => `Credential(${c.id})` });
  return c;
}
