import { upstreamErrorBody, type FailureVerdict, type UpstreamFailure } from '../../core/index.js';
import { rateLimitWait } from './rate-limits.js';

const NO_CREDIT = /credit balance is too low/i;
const CREDIT_ADVICE = 'The Anthropic account behind this key has no credit left: add credits, then re-enable the key (POST /v1/tokens/enable).';

/**
 * Anthropic's errors (`{"type":"error","error":{"type","message"}}`) as failure kinds: 429s rest
 * the key for `retry-after` or the spent limit's reset; 401 and 402 (and the 400 "credit balance
 * is too low") disable the key; a 403 that names the model denies only that model, any other
 * 403 disables the key; 404 about the model is `model_not_found`; other 4xx are the client's;
 * 500, 504 and 529 (overloaded) are transient.
 */
export function classifyAnthropic(f: UpstreamFailure): FailureVerdict | undefined {
  if (f.status === undefined) return undefined; // transport trouble, timeouts, garbage: the default
  const error = upstreamErrorBody(f.body);
  const message = typeof error?.message === 'string' ? error.message : '';
  switch (f.status) {
    case 429: {
      const { waitMs, limitType } = rateLimitWait(f.headers, Date.now());
      const verdict: FailureVerdict = { kind: 'rate_limited' };
      if (waitMs !== undefined) verdict.retryAfterMs = waitMs;
      if (limitType) verdict.limitType = limitType;
      return verdict;
    }
    case 401:
      return { kind: 'credential_invalid' };
    case 402:
      return { kind: 'credential_invalid', advice: CREDIT_ADVICE };
    case 403:
      return /\bmodel\b/i.test(message) ? { kind: 'credential_model_denied' } : { kind: 'credential_invalid' };
    case 404:
      return { kind: 'request_invalid', modelNotFound: /^model:|\bmodel\b/i.test(message) };
    case 400:
      return NO_CREDIT.test(message) ? { kind: 'credential_invalid', advice: CREDIT_ADVICE } : { kind: 'request_invalid' };
    case 413:
      return { kind: 'request_invalid' };
    default:
      return f.status >= 500 ? { kind: 'transient' } : undefined;
  }
}
