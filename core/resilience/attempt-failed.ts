import type { FailureKind, UpstreamFailure } from '../contract/provider.js';

/**
 * An upstream attempt failed in a way the policies act on: `transient` (retried, counted by the
 * breaker) or `provider_gone` (opens the provider-wide breaker). Credential faults never get
 * here: the pool rotates past them inside one attempt.
 */
export class AttemptFailed extends Error {
  constructor(
    readonly kind: FailureKind,
    readonly failure: UpstreamFailure,
    /** The total timeout has run out: retrying is pointless. */
    readonly final: boolean,
  ) {
    super(failure.error.message);
    this.name = 'AttemptFailed';
  }
}
