import type { Credential } from '../contract/provider.js';
import { maskedTail, secretHash } from './credentials.js';
import { credentialKey } from './credential-changes.js';
import { enableRecord } from './outcomes.js';
import { PoolEntry } from './pool-entry.js';
import { hydrateRecord, type CredentialRecord } from '../state/records.js';

/** State key of the one entry of a provider configured without credentials. */
export const KEYLESS_KEY = 'anonymous';

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
    const key = c ? credentialKey(c) : KEYLESS_KEY;
    const kept = byKey.get(key);
    byKey.delete(key);
    if (kept && kept.credential?.secret === c?.secret) {
      kept.index = i;
      return kept;
    }
    const record = (section[key] ??= hydrateRecord(saved && Object.hasOwn(saved, key) ? saved[key] : undefined));
    // Earlier versions disabled the keyless entry on a 401 and persisted it: that entry is the
    // provider itself, which only ever rests in memory now (see outcomes.ts), so it starts enabled.
    if (!c && !record.enabled) enableRecord(record);
    return new PoolEntry(i, c, key, record);
  });
  for (const gone of byKey.values()) delete section[gone.key];
  uniqueIds(entries);
  return entries;
}

/**
 * Make every shown id unique in the pool: masked ids already carry 4 hex digits of the secret's
 * hash; the rare ids that still clash (or repeated names) get 8, then a position.
 */
function uniqueIds(entries: readonly PoolEntry[]): void {
  const seen = new Map<string, number>();
  for (const e of entries) {
    e.id = e.credential?.id ?? '(no credential)';
    seen.set(e.id, (seen.get(e.id) ?? 0) + 1);
  }
  if (seen.size === entries.length) return;
  const taken = new Set<string>();
  for (const e of entries) {
    const c = e.credential;
    if (c && seen.get(e.id)! > 1) e.id = `${c.name ?? maskedTail(c.secret)}·${secretHash(c.secret).slice(0, 8)}`;
    while (taken.has(e.id)) e.id = `${e.id}#${e.index + 1}`;
    taken.add(e.id);
  }
}

/** Whether `name` names this entry: its shown id, its state key, its secret, or its id as shown before ids were unique. */
export function names(e: PoolEntry, name: string): boolean {
  const c = e.credential;
  return e.id === name || e.key === name || (c !== undefined && (c.secret === name || c.id === name || (!c.name && maskedTail(c.secret) === name)));
}
