import type { Clock } from '../state/clock.js';

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

const START = 30;
const MIN = 1;
const MAX = 200;
const CUT = 0.6;
const RAISE = 1.2;
const CUT_EVERY_MS = 30_000;
const QUIET_MS = 300_000;
/** Models tracked per provider; a client naming models cannot grow this without bound. */
const MAX_MODELS = 1024;

const clamp = (v: number) => Math.round(Math.min(MAX, Math.max(MIN, v)) * 100) / 100;

/**
 * An adaptive requests-per-minute estimate per model, as the GitHub Models proxy users know it:
 * start at 30, ×0.6 on a 429 (at most every 30 s), ×1.2 after five quiet minutes, kept within
 * 1–200. Advertised header limits are shown beside it but do not drive it: they are not the
 * limits that bite.
 */
export class AdaptiveRpm {
  constructor(
    /** The provider's section of the state store, mutated in place. */
    readonly section: Record<string, AdaptiveRecord>,
    private readonly clock: Clock,
  ) {}

  #get(model: string, now: number): AdaptiveRecord | undefined {
    if (Object.hasOwn(this.section, model)) return this.section[model];
    if (Object.keys(this.section).length >= MAX_MODELS) return undefined;
    return (this.section[model] = { guess: START, hardCap: null, last429At: null, updatedAt: now, lastCutAt: null, lastRaiseAt: null, since: now });
  }

  rateLimited(model: string): void {
    const now = this.clock.now();
    const r = this.#get(model, now);
    if (!r) return;
    r.last429At = now;
    r.updatedAt = now;
    if (r.lastCutAt === null || now - r.lastCutAt >= CUT_EVERY_MS) {
      r.guess = clamp(r.guess * CUT);
      r.lastCutAt = now;
    }
  }

  succeeded(model: string): void {
    const r = Object.hasOwn(this.section, model) ? this.section[model] : undefined;
    if (!r) return; // nothing learned yet: the start value stands
    const now = this.clock.now();
    const quietSince = Math.max(r.since, r.last429At ?? 0, r.lastRaiseAt ?? 0, r.lastCutAt ?? 0);
    if (r.guess < MAX && now - quietSince >= QUIET_MS) {
      r.guess = clamp(r.guess * RAISE);
      r.lastRaiseAt = now;
      r.updatedAt = now;
    }
  }

  advertised(model: string, limit: number): void {
    const now = this.clock.now();
    const r = this.#get(model, now);
    if (!r || r.hardCap === limit) return;
    r.hardCap = limit;
    r.updatedAt = now;
  }

  /** Forget everything learned (admin reset). */
  reset(): void {
    for (const k of Object.keys(this.section)) delete this.section[k];
  }
}

/** A stored record, field by field (a hand-edited file must not break the types). */
export function hydrateAdaptive(raw: unknown, now: number): AdaptiveRecord | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const r = raw as Record<string, unknown>;
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  return {
    guess: clamp(n(r.guess) ?? START),
    hardCap: n(r.hardCap),
    last429At: n(r.last429At),
    updatedAt: n(r.updatedAt) ?? now,
    lastCutAt: n(r.lastCutAt),
    lastRaiseAt: n(r.lastRaiseAt),
    since: n(r.since) ?? now,
  };
}
