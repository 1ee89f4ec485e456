import { ADAPTIVE_MAX as MAX, ADAPTIVE_START as START, clampRpm as clamp, hydrateAdaptive, type AdaptiveRecord } from '../state/adaptive-record.js';
import type { Clock } from '../state/clock.js';
import type { StateDocument } from '../state/store.js';

const CUT = 0.6;
const RAISE = 1.2;
const CUT_EVERY_MS = 30_000;
const QUIET_MS = 300_000;
/** Models tracked per provider; a client naming models cannot grow this without bound. */
const MAX_MODELS = 1024;

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

/** The provider's estimates as stored (checked; ones that do not read are dropped), tracked from now on in the document. */
export function openAdaptive(data: StateDocument, providerId: string, clock: Clock): AdaptiveRpm {
  const observed = ((data.observed ??= {})[providerId] ?? {}) as Record<string, unknown>;
  const section = Object.create(null) as Record<string, AdaptiveRecord>;
  for (const [model, raw] of Object.entries(observed)) {
    const r = hydrateAdaptive(raw, clock.now());
    if (r) section[model] = r;
  }
  data.observed[providerId] = section;
  return new AdaptiveRpm(section, clock);
}
