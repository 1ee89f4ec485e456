import type { QuotaObservation } from '../../core/index.js';

/** One account's window for one mode, as `POST /rest/rate-limits` reported it (then counted down). */
export interface ModeQuota {
  remaining: number;
  total: number;
  windowSeconds: number;
  /** When it was read, epoch ms: the window resets at most `windowSeconds` later. */
  fetchedAt: number;
  /** `waitTimeSeconds`, when Grok says it (unverified by the reference: taken if present). */
  waitSeconds?: number;
}

/** At most one on-demand refresh per account in this long (reference §7). */
const REFRESH_EVERY_MS = 5 * 60_000;

/**
 * What is known of each account's remaining queries per mode: read from Grok, counted down after
 * each success, re-read after a 429 (at most every five minutes per account).
 */
export class QuotaBook {
  readonly #quotas = new Map<string, Map<string, ModeQuota>>();
  readonly #refreshedAt = new Map<string, number>();

  constructor(private readonly read: (account: string, key: string) => Promise<ModeQuota>) {}

  get(account: string, key: string): ModeQuota | undefined {
    return this.#quotas.get(account)?.get(key);
  }

  /** Every window read for an account, by key. */
  windows(account: string): ReadonlyMap<string, ModeQuota> | undefined {
    return this.#quotas.get(account);
  }

  set(account: string, key: string, q: ModeQuota): void {
    let m = this.#quotas.get(account);
    if (!m) this.#quotas.set(account, (m = new Map()));
    m.set(key, q);
  }

  /** A success: one call's cost off the known window (unknown stays unknown). */
  spend(account: string, key: string, cost: number): ModeQuota | undefined {
    const q = this.get(account, key);
    if (q) q.remaining = Math.max(0, q.remaining - cost);
    return q;
  }

  /** Re-read after a 429, unless this account was re-read in the last five minutes; never throws. */
  async refreshAfterLimit(account: string, key: string, now: number): Promise<ModeQuota | undefined> {
    const last = this.#refreshedAt.get(account) ?? 0;
    if (now - last < REFRESH_EVERY_MS) return this.get(account, key);
    this.#refreshedAt.set(account, now);
    try {
      return await this.refresh(account, key);
    } catch {
      return this.get(account, key); // a failed read leaves what was known
    }
  }

  /** Read the window now (the refresh-all job); a failed read throws, for the job to count. */
  async refresh(account: string, key: string): Promise<ModeQuota> {
    const q = await this.read(account, key);
    this.set(account, key, q);
    return q;
  }
}

/** The answer of `POST /rest/rate-limits`, checked. */
export function parseQuota(body: unknown, now: number): ModeQuota {
  const b = body as Record<string, unknown> | null;
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const remaining = n(b?.remainingQueries);
  if (remaining === undefined) throw new Error('the rate-limits answer has no remainingQueries');
  const q: ModeQuota = { remaining, total: n(b?.totalQueries) ?? remaining, windowSeconds: n(b?.windowSizeSeconds) ?? 0, fetchedAt: now };
  const wait = n(b?.waitTimeSeconds);
  if (wait !== undefined) q.waitSeconds = wait;
  return q;
}

/** A window as the pool keeps it: resets `windowSeconds` after it was read. */
export function observation(q: ModeQuota): QuotaObservation {
  return { remaining: q.remaining, limit: q.total, resetAt: q.fetchedAt + q.windowSeconds * 1000, observedAt: q.fetchedAt };
}

/**
 * A window read back after a rate limit, for the classifier (`UpstreamError.quota`): Grok's stated
 * wait, when it gives one, is when the account may ask again.
 */
export function limitObservation(q: ModeQuota): QuotaObservation {
  return { remaining: q.remaining, limit: q.total, resetAt: q.fetchedAt + (q.waitSeconds ?? q.windowSeconds) * 1000, observedAt: q.fetchedAt };
}

type Tier = 'basic' | 'super' | 'heavy';
/** The window totals each tier has per mode, as grok.com hands them out. */
const TIER_BY_TOTAL: Record<string, Record<number, Tier>> = {
  auto: { 7: 'basic', 20: 'basic', 50: 'super', 150: 'heavy' },
  fast: { 30: 'basic', 140: 'super', 400: 'heavy' },
};

/**
 * An account's tier read from the totals of its windows: `auto` and `fast` totals that only one
 * tier has, or any `heavy` window at all (only heavy accounts get one). Signals that disagree
 * give the lower tier; none gives undefined.
 */
export function inferTier(windows: ReadonlyMap<string, ModeQuota> | undefined): Tier | undefined {
  if (!windows) return undefined;
  const seen: Tier[] = [];
  for (const [mode, q] of windows) {
    const t = mode === 'heavy' ? (q.total > 0 ? 'heavy' : undefined) : TIER_BY_TOTAL[mode]?.[q.total];
    if (t) seen.push(t);
  }
  if (!seen.length) return undefined;
  const order: Tier[] = ['basic', 'super', 'heavy'];
  return seen.reduce((a, b) => (order.indexOf(b) < order.indexOf(a) ? b : a));
}
