import type { FailureVerdict, UpstreamFailure } from '../contract/provider.js';
import type { Lease } from '../pool/lease.js';
import type { ProviderHandle } from '../providers/registry.js';
import { statedWaitMs } from '../upstream/retry-hints.js';
import { describeFailure } from './failure.js';

/**
 * A failed attempt's verdict laid on its lease: the provider's classification, the wait the
 * upstream stated for a rate limit or a spent quota, and the credential spared when the verdict
 * says it was not its fault (a Cloudflare challenge). Every attempt, a request's or an admin's
 * credential test, settles the same way.
 */
export function settleFailedAttempt(handle: ProviderHandle, lease: Lease, failure: UpstreamFailure, now: number): { verdict: FailureVerdict; message: string } {
  const v = handle.classify(failure);
  const retryAfterMs = v.retryAfterMs ?? (v.kind === 'rate_limited' || v.kind === 'quota_exhausted' ? statedWaitMs(failure.headers, now) : undefined);
  const message = describeFailure(failure, handle.secrets);
  if (v.spareCredential) lease.release();
  else lease.fail(v.kind, { message, retryAfterMs, resetAt: v.resetAt, limitType: v.limitType, lowerConcurrency: v.lowerConcurrency, status: failure.status });
  return { verdict: v, message };
}
