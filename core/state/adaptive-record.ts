/** One model's estimate of the requests per minute its upstream will take, across the pool. */
export interface AdaptiveRecord {
  /** Current estimate, requests per minute. */
  guess: number;
  /** The upstream's advertised request limit per window (`x-ratelimit-limit-requests`), if seen. */
  hardCap: number | null;
  last429At: number | null;
  updatedAt: number;
  /** When the estimate was last cut (at most every 30 s) or raised (after 5 quiet minutes). */
  lastCutAt: number | null;
  lastRaiseAt: number | null;
  /** When tracking began: the first quiet five minutes count from here. */
  since: number;
}

/** Where an estimate starts, and the bounds it is kept within (a stored one too). */
export const ADAPTIVE_START = 30;
const ADAPTIVE_MIN = 1;
export const ADAPTIVE_MAX = 200;

/** An estimate within its bounds, to two decimals. */
export const clampRpm = (v: number) => Math.round(Math.min(ADAPTIVE_MAX, Math.max(ADAPTIVE_MIN, v)) * 100) / 100;

/** A stored record, field by field (a hand-edited file must not break the types). */
export function hydrateAdaptive(raw: unknown, now: number): AdaptiveRecord | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const r = raw as Record<string, unknown>;
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  return {
    guess: clampRpm(n(r.guess) ?? ADAPTIVE_START),
    hardCap: n(r.hardCap),
    last429At: n(r.last429At),
    updatedAt: n(r.updatedAt) ?? now,
    lastCutAt: n(r.lastCutAt),
    lastRaiseAt: n(r.lastRaiseAt),
    since: n(r.since) ?? now,
  };
}
