import type { QuotaObservation } from '../contract/provider.js';
import { headerValue as first, type HeaderMap } from './header-value.js';

/** `1s`, `6m0s`, `20ms`, `1h2m3.5s` (OpenAI's reset headers) or plain seconds, in ms. */
export function parseDuration(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  const parts = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+(?:\.\d+)?)ms)?$/.exec(t);
  if (!parts || t === '') return undefined;
  const [, h, m, s, ms] = parts;
  return Math.round((Number(h ?? 0) * 3600 + Number(m ?? 0) * 60 + Number(s ?? 0)) * 1000 + Number(ms ?? 0));
}

/**
 * How long the upstream asked us to wait, in ms: `retry-after-ms`, then `Retry-After` (seconds or
 * an HTTP date), then OpenAI's `x-ratelimit-reset-requests`. Undefined when it did not say.
 */
export function statedWaitMs(headers: HeaderMap | undefined, now: number): number | undefined {
  const ms = first(headers, 'retry-after-ms');
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.round(Number(ms));
  const ra = first(headers, 'retry-after');
  if (ra !== undefined) {
    const t = ra.trim();
    if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
    const at = Date.parse(t);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  return parseDuration(first(headers, 'x-ratelimit-reset-requests'));
}


/** Read `x-ratelimit-{remaining,limit,reset}-requests`; undefined when the upstream sends none. */
export function quotaFromHeaders(headers: HeaderMap | undefined, now: number): QuotaObservation | undefined {
  const remaining = first(headers, 'x-ratelimit-remaining-requests');
  if (remaining === undefined) return undefined;
  const q: QuotaObservation = {};
  const r = Number(remaining);
  if (Number.isFinite(r)) q.remaining = r;
  const limit = Number(first(headers, 'x-ratelimit-limit-requests'));
  if (Number.isFinite(limit) && limit > 0) q.limit = limit;
  const reset = parseDuration(first(headers, 'x-ratelimit-reset-requests'));
  if (reset !== undefined) q.resetAt = now + reset;
  const remainingTokens = Number(first(headers, 'x-ratelimit-remaining-tokens'));
  if (Number.isFinite(remainingTokens) && first(headers, 'x-ratelimit-remaining-tokens') !== undefined) q.remainingTokens = remainingTokens;
  const limitTokens = Number(first(headers, 'x-ratelimit-limit-tokens'));
  if (Number.isFinite(limitTokens) && limitTokens > 0) q.limitTokens = limitTokens;
  return q;
}
