import { liveWindow } from './outcomes.js';
import type { PoolEntry } from './pool-entry.js';
import type { Strategy } from './settings.js';

/**
 * Pick one of the credentials that may serve now, by strategy. `eligible` is non-empty and in
 * pool order starting at the round-robin cursor.
 */
export function pickByStrategy(strategy: Strategy, eligible: readonly PoolEntry[], now: number, model: string): PoolEntry {
  switch (strategy) {
    case 'round-robin':
      return eligible[0];
    case 'random':
      return eligible[Math.floor(Math.random() * eligible.length)];
    case 'least-used':
      return best(eligible, leastUsed);
    case 'quota-aware':
      return best(eligible, (a, b) => quotaLeft(b, model, now) - quotaLeft(a, model, now) || leastUsed(a, b));
  }
}

function best(list: readonly PoolEntry[], cmp: (a: PoolEntry, b: PoolEntry) => number): PoolEntry {
  let top = list[0];
  for (let i = 1; i < list.length; i++) if (cmp(list[i], top) < 0) top = list[i];
  return top;
}

/** Fewest requests first; among equals, the one unused longest. */
function leastUsed(a: PoolEntry, b: PoolEntry): number {
  return a.record.requests - b.record.requests || (a.record.lastUsedAt ?? 0) - (b.record.lastUsedAt ?? 0);
}

/**
 * Requests left in the credential's window for this model (what the upstream reported for the
 * model, else for the credential, less the requests started since). Unknown (never reported, or the window has reset since)
 * counts as unlimited: a fresh credential is the best bet.
 */
function quotaLeft(e: PoolEntry, model: string, now: number): number {
  const m = e.peekModel(model);
  const o = m?.observed;
  if (o && liveWindow(o.remainingRequests, o.resetAt, now)) return Math.max(0, o.remainingRequests! - (m!.quotaSpent ?? 0));
  const q = e.record.quota;
  if (!q || !liveWindow(q.remaining, q.resetAt, now)) return Number.MAX_SAFE_INTEGER;
  return Math.max(0, q.remaining! - (e.record.quotaSpent ?? 0));
}
