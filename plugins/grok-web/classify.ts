import { headerValue, type FailureVerdict, type UpstreamFailure } from '../../core/index.js';
import { GrokInBandError } from './translate.js';

/** Body phrases that mean the account itself is dead (expired, banned, revoked). */
const EXPIRED = /invalid-credentials|bad-credentials|failed to look up session id|blocked-user|email-domain-rejected|session not found|account suspended|token revoked|token expired/i;
const CLOUDFLARE = /cf-challenge|cloudflare|just a moment/i;
const REGION = /not available in your region/i;

const CF_ADVICE = 'Cloudflare challenged Switchboard: refresh cfClearance (with the userAgent of the browser that produced it) in the grok-web options, or change proxyUrl.';
const BOT_ADVICE = 'Grok rejected the request as a bot (code 7): set the statsig option to a fresh value, or to `random`.';
// The chat gateway takes no statsig header: what is left to change is how Switchboard looks to Cloudflare.
const GATEWAY_BOT_ADVICE = 'Grok rejected the chat as a bot (code 7): refresh cfClearance (with the userAgent of the browser that produced it) in the grok-web options, or change proxyUrl.';
const REGION_ADVICE = 'Grok is not available from this egress region: set proxyUrl.';

/** An in-band error that is a rate limit (code 8, "too many requests"), not a spent quota. */
export function isRateLimit(e: GrokInBandError): boolean {
  return !/usage limit|usage quota/i.test(e.message) && (e.code === 8 || /too many requests|rate limit/i.test(e.message));
}

/**
 * A 429 with the window read back (`f.quota`, see limitObservation): nothing left means the quota
 * is spent (rest until the window resets: Grok's wait when it gives one, else the window's
 * length, as stated when read); some left, a plain rate limit.
 */
function limited(f: UpstreamFailure): FailureVerdict {
  const q = f.quota;
  if (q && q.remaining === 0) {
    const ms = q.resetAt !== undefined && q.observedAt !== undefined ? q.resetAt - q.observedAt : 0;
    return ms > 0 ? { kind: 'quota_exhausted', retryAfterMs: ms } : { kind: 'quota_exhausted' };
  }
  return { kind: 'rate_limited' };
}

/**
 * Grok's failures, as grok.com reports them (HTTP status and in-band codes). A Cloudflare challenge, an anti-bot
 * rejection or a region block is the egress's fault: the account is spared, the request may go
 * to another target, and the message says what to refresh.
 */
export function classifyGrok(f: UpstreamFailure): FailureVerdict | undefined {
  const body = f.body ?? '';
  if (f.error instanceof GrokInBandError) {
    const { code, message } = f.error;
    if (code === 7 || /anti-bot/i.test(message)) return { kind: 'transient', spareCredential: true, advice: f.error.gateway ? GATEWAY_BOT_ADVICE : BOT_ADVICE };
    if (REGION.test(message)) return { kind: 'transient', spareCredential: true, advice: REGION_ADVICE };
    // "usage limit" is checked before code 8: the quota is spent, not just a burst refused.
    if (/usage limit|usage quota/i.test(message)) return { kind: 'quota_exhausted' };
    if (isRateLimit(f.error)) return limited(f);
    return { kind: 'transient' };
  }
  if (f.status === 404 && /Unknown model/.test(body)) return { kind: 'request_invalid', modelNotFound: true };
  const cf = headerValue(f.headers, 'cf-mitigated') === 'challenge' || (f.status === 403 && CLOUDFLARE.test(body));
  if (cf) return { kind: 'transient', spareCredential: true, advice: CF_ADVICE };
  if (f.status !== undefined && f.status >= 400 && f.status < 500 && REGION.test(body)) return { kind: 'transient', spareCredential: true, advice: REGION_ADVICE };
  if ((f.status === 400 || f.status === 401 || f.status === 403) && EXPIRED.test(body)) return { kind: 'credential_invalid' };
  if (f.status === 401) return { kind: 'credential_invalid' };
  if (f.status === 429) return /usage limit|usage quota/i.test(body) ? { kind: 'quota_exhausted' } : limited(f);
  if (f.status === 403) return { kind: 'transient' }; // forbidden: counts against the account, softly
  return undefined;
}
