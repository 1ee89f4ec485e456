import type { Credential } from '../contract/provider.js';
import { hydrateChanges } from '../state/credential-changes.js';
import { fullWindow, type RequestWindow } from '../state/request-windows.js';
import { hydrateRecord, type CredentialRecord } from '../state/records.js';
import type { StateStore } from '../state/store.js';
import { credentialKey, effectiveCredentials } from './credential-changes.js';
import { maskedTail, secretHash } from './credentials.js';
import { restUntilWindowEnds } from './leasing.js';
import { enableRecord, resetRecord } from './outcomes.js';
import { PoolEntry } from './pool-entry.js';

/**
 * Which credentials a pool has in service: the configured ones with an admin's additions and
 * removals (kept in the state store), each with its record; found by an admin's name; taken out
 * of service and back. Selection and outcomes are elsewhere: this is who is in the pool.
 */
export class Membership {
  /** In pool order; replaced (not mutated) when credentials are added or removed. */
  entries: readonly PoolEntry[] = [];
  #configured: readonly Credential[];
  #missing: string | undefined;

  /** `missing`: see PoolInit. Records saved for credentials no longer in service are dropped. */
  constructor(
    private readonly providerId: string,
    private readonly store: StateStore,
    configured: readonly Credential[],
    missing: string | undefined,
  ) {
    this.#configured = configured;
    this.#missing = missing;
    const changes = (store.data.credentials ??= {});
    changes[providerId] = hydrateChanges(changes[providerId]);
    const saved = store.data.pools[providerId] ?? {};
    store.data.pools[providerId] = {};
    this.rebuild(saved);
  }

  /** Configured without credentials: its one entry stands for the provider itself. */
  get keyless(): boolean {
    return this.entries.length === 1 && this.entries[0].credential === undefined;
  }

  /** Why the pool has no credentials although some were configured (the start-up warning), else undefined. */
  get missing(): string | undefined {
    return this.entries.length === 0 ? this.#missing : undefined;
  }

  /** The configured credentials changed (config reload); call {@link rebuild} next. */
  configure(credentials: readonly Credential[], missing: string | undefined): void {
    this.#configured = credentials;
    this.#missing = missing;
  }

  /**
   * Entries for the configured credentials with the admin's changes (a provider configured
   * without any gets one keyless entry; one whose configured credentials resolved to nothing gets
   * none). `saved`: records read from the store at start-up.
   */
  rebuild(saved?: Record<string, unknown>): void {
    const list = effectiveCredentials(this.#configured, this.store.data.credentials?.[this.providerId]);
    const section = this.store.data.pools[this.providerId] as Record<string, CredentialRecord>;
    this.entries = entriesFor(list.length || this.#missing !== undefined ? list : [undefined], this.entries, section, saved);
    this.store.changed(this.providerId);
  }

  /**
   * The credentials an admin's name matches: by shown id (configured name or masked secret),
   * state key, secret, or an id as shown before ids were unique (`sk-…abcd`, which several may
   * share: the caller refuses an ambiguous name rather than pick one).
   */
  findAll(token: string): PoolEntry[] {
    const exact = this.entries.filter((x) => x.id === token);
    return exact.length ? exact : this.entries.filter((x) => names(x, token));
  }
}

/** Back in service: re-enabled, cooldowns, denials, skips and rests cleared (counters stay). */
export function enableEntry(e: PoolEntry): void {
  enableRecord(e.record);
  e.gateUntil = 0;
  e.restUntil = 0;
}

/** Out of service until an admin enables it again. */
export function disableEntry(e: PoolEntry, reason: string, now: number): void {
  const r = e.record;
  r.enabled = false;
  r.disabledReason = reason;
  r.disabledAt = now;
}

/**
 * Afresh: counters, cooldowns, skips, denials and the disabled flag cleared. What was learned of
 * the upstream's limits is kept, and so are request-window counts (the upstream's allowance): a
 * full window still rests it.
 */
export function resetEntry(e: PoolEntry, windows: readonly RequestWindow[], now: number): void {
  resetRecord(e.record, now);
  e.gateUntil = 0;
  e.restUntil = 0;
  for (const target of [e.record, ...Object.values(e.record.models)]) restUntilWindowEnds(target, fullWindow(target.windows, windows, now));
}

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
