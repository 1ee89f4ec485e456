import type { Credential } from '../contract/provider.js';
import type { PoolEntry } from './pool-entry.js';
import type { PoolSettings } from './settings.js';
import { pickByStrategy } from './strategy.js';
import type { Tried } from './tried.js';

/** The provider's preference of a credential for a model (lower wins); undefined: not for that model. */
export type Rank = (credential: Credential | undefined, model: string) => number | undefined;

/** What selection reads of a pool's settings. */
export type SelectionRules = Pick<PoolSettings, 'strategy'> & { readonly throttle: Pick<PoolSettings['throttle'], 'minIntervalMs' | 'maxConcurrent' | 'scope'> };

/**
 * Nothing can serve now, but something will: when (epoch ms) the nearest throttle interval ends,
 * or Infinity when only a slot freeing (a lease ending) will do. A plain number, so a pick that
 * waits allocates nothing.
 */
export type WaitUntil = number;

/** The credential to lease; when to look again; or undefined: none can serve and waiting will not help. */
export type Selection = PoolEntry | WaitUntil | undefined;

/**
 * Which credential serves `model` now, decided from the entries' state alone (no side effects).
 * `entries` in pool order, visited from `start` (the round-robin cursor). Skipped: the resting
 * keyless entry, credentials the provider does not rank for the model, ones this request faulted
 * (`tried` 'fault'), disabled, denied the model or cooling down. Busy (at their concurrency cap)
 * or throttled (inside their interval, or refused by the shared gate) ones make the caller wait.
 * Of the rest, the best ranked compete by strategy; one sitting out requests after a transient
 * failure serves only when no other can, and one this request already failed on (`tried`
 * 'failed') only after that.
 */
export function select(entries: readonly PoolEntry[], start: number, model: string, now: number, tried: Tried | undefined, rules: SelectionRules, rank: Rank | undefined): Selection {
  const n = entries.length;
  const { minIntervalMs, maxConcurrent, scope } = rules.throttle;
  const throttleKey = scope === 'model' ? model : undefined;
  const firstWins = !rank && rules.strategy === 'round-robin';
  let eligible: PoolEntry[] | undefined;
  let bestRank = Infinity;
  let resting: PoolEntry | undefined;
  let restingRank = Infinity;
  let again: PoolEntry | undefined;
  let againRank = Infinity;
  let waitUntil: number | undefined;
  for (let i = 0; i < n; i++) {
    const e = entries[(start + i) % n];
    if (e.restUntil > now) continue; // the keyless entry, resting after its upstream refused it
    const rk = rank ? rank(e.credential, model) : 0;
    if (rk === undefined) continue;
    const before = tried?.get(e);
    if (before === 'fault' || !e.record.enabled || e.peekModel(model)?.denied || e.coolingUntil(model, now)) continue;
    const free = freeAt(e, throttleKey, minIntervalMs, maxConcurrent, now);
    if (free > now) {
      if (waitUntil === undefined || free < waitUntil) waitUntil = free;
      continue;
    }
    if (before !== undefined) {
      // Failed this request already: a retry takes it again only if nothing untried can serve.
      if (rk < againRank) {
        again = e;
        againRank = rk;
      }
      continue;
    }
    const skip = e.record.skipRequests;
    if (skip > 0) {
      // Sitting out requests after a transient failure: only used if nothing else can serve.
      if (!resting || rk < restingRank || (rk === restingRank && skip < resting.record.skipRequests)) {
        resting = e;
        restingRank = rk;
      }
      continue;
    }
    if (firstWins) return e; // the first in turn wins: no list needed
    // Of the credentials that can serve now, only those the provider prefers most compete.
    if (rk < bestRank) {
      bestRank = rk;
      eligible = [e];
    } else if (rk === bestRank) eligible!.push(e);
  }
  if (eligible) return pickByStrategy(rules.strategy, eligible, now, model);
  return resting ?? again ?? waitUntil;
}

/**
 * When the entry may start a request, as far as its slots and throttles go: `now` or earlier if
 * it may now, Infinity when it is at its concurrency cap (a lease ending frees it), else when its
 * interval (or the shared gate's refusal) ends.
 */
function freeAt(e: PoolEntry, throttleKey: string | undefined, minIntervalMs: number, maxConcurrent: number, now: number): number {
  // A lowered cap ("too many at once") holds for a while, and never raises the configured one.
  const cap = e.capUntil > now && (maxConcurrent === 0 || e.concurrencyCap < maxConcurrent) ? e.concurrencyCap : maxConcurrent;
  if (cap > 0 && e.inFlight >= cap) return Infinity;
  if (e.gateUntil > now) return e.gateUntil;
  if (minIntervalMs > 0) return e.lastStart(throttleKey) + minIntervalMs;
  return now;
}
