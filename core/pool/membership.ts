import type { Credential } from '../contract/provider.js';
import { credentialKey } from './credential-changes.js';
import { PoolEntry } from './pool-entry.js';
import { hydrateRecord, type CredentialRecord } from './records.js';

/**
 * A pool's entries for the credentials in service now (`undefined`: the one entry of a provider
 * without credentials). An entry whose credential stays keeps its record and live counters (in
 * flight, last start); a new one gets its record from `section` (kept across restarts), from
 * `saved` (read at start-up, checked), or fresh. Records of credentials no longer in service leave
 * `section`.
 */
export function entriesFor(
  list: readonly (Credential | undefined)[],
  old: readonly PoolEntry[],
  section: Record<string, CredentialRecord>,
  saved?: Record<string, unknown>,
): PoolEntry[] {
  const byKey = new Map(old.map((e) => [e.key, e]));
  const entries = list.map((c, i) => {
    const key = c ? credentialKey(c) : 'anonymous';
    const kept = byKey.get(key);
    byKey.delete(key);
    if (kept && kept.credential?.secret === c?.secret) {
      kept.index = i;
      return kept;
    }
    return new PoolEntry(i, c, key, (section[key] ??= hydrateRecord(saved && Object.hasOwn(saved, key) ? saved[key] : undefined)));
  });
  for (const gone of byKey.values()) delete section[gone.key];
  return entries;
}
