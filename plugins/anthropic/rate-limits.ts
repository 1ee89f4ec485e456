import { headerValue, type HeaderMap, type QuotaObservation } from '../../core/index.js';

/** Anthropic's limits, each with `anthropic-ratelimit-<name>-{limit,remaining,reset}` headers. */
const LIMITS = ['requests', 'tokens', 'input-tokens', 'output-tokens'] as const;

const header = (h: HeaderMap | undefined, limit: string, field: string) => headerValue(h, `anthropic-ratelimit-${limit}-${field}`);
const number = (text: string | undefined) => (text !== undefined && text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : undefined);
/** Reset times are RFC 3339 (`2025-10-01T12:00:30Z`). */
const time = (text: string | undefined) => {
  const t = text === undefined ? NaN : Date.parse(text);
  return Number.isNaN(t) ? undefined : t;
};

/** What a successful answer's headers say of the key's request (and token) window; undefined without them. */
export function anthropicQuota(h: HeaderMap | undefined, now: number): QuotaObservation | undefined {
  const remaining = number(header(h, 'requests', 'remaining'));
  if (remaining === undefined) return undefined;
  const q: QuotaObservation = { remaining, observedAt: now };
  const limit = number(header(h, 'requests', 'limit'));
  if (limit !== undefined && limit > 0) q.limit = limit;
  const reset = time(header(h, 'requests', 'reset'));
  if (reset !== undefined) q.resetAt = reset;
  const tokens = number(header(h, 'tokens', 'remaining'));
  if (tokens !== undefined) q.remainingTokens = tokens;
  const tokenLimit = number(header(h, 'tokens', 'limit'));
  if (tokenLimit !== undefined && tokenLimit > 0) q.limitTokens = tokenLimit;
  return q;
}

/**
 * How long a rate-limited key should rest, and which limit it hit: `retry-after` (seconds) when
 * given, else the reset of the limit whose `remaining` is 0 (the latest, if several are spent),
 * else the soonest reset still ahead. Undefined when the headers say nothing.
 */
export function rateLimitWait(h: HeaderMap | undefined, now: number): { waitMs?: number; limitType?: string } {
  let spent: { at: number; name: string } | undefined;
  let soonest: number | undefined;
  for (const name of LIMITS) {
    const at = time(header(h, name, 'reset'));
    if (at === undefined || at <= now) continue;
    if (number(header(h, name, 'remaining')) === 0 && (!spent || at > spent.at)) spent = { at, name };
    if (soonest === undefined || at < soonest) soonest = at;
  }
  const limitType = spent?.name;
  const retryAfter = number(headerValue(h, 'retry-after'));
  if (retryAfter !== undefined) return { waitMs: Math.round(retryAfter * 1000), limitType };
  const at = spent?.at ?? soonest;
  return { waitMs: at === undefined ? undefined : at - now, limitType };
}
