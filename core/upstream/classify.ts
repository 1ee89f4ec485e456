import type { FailureKind, UpstreamFailure } from '../contract/provider.js';

/**
 * The default failure classifier, by HTTP status: what an OpenAI-style upstream means by each.
 * Providers with richer signals (rate-limit headers, error codes in bodies) supply their own and
 * may fall back to this one.
 */
export function classifyHttpFailure(f: UpstreamFailure): FailureKind {
  if (f.timeout || f.malformed || f.status === undefined) return 'transient';
  const s = f.status;
  if (s === 401 || s === 403) return 'credential_invalid';
  if (s === 429) return 'rate_limited';
  if (s === 410) return 'provider_gone';
  if (s === 408 || s === 409 || s >= 500) return 'transient';
  return 'request_invalid';
}
