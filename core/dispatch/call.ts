import type { CallContext, Credential, Logger, QuotaObservation, Timeouts } from '../contract/provider.js';
import type { Lease } from '../pool/lease.js';
import type { CallSignal } from '../contract/call-signal.js';

/** The context of one upstream attempt, bound to its lease. */
export class Call implements CallContext {
  constructor(
    readonly providerId: string,
    readonly model: string,
    readonly lease: Lease,
    readonly signal: CallSignal,
    readonly timeouts: Timeouts,
    readonly log: Logger,
    private readonly exchange: { readonly origin: string | undefined },
  ) {}

  get origin(): string | undefined {
    return this.exchange.origin;
  }

  get credential(): Credential | undefined {
    return this.lease.credential;
  }

  reportQuota(quota: QuotaObservation): void {
    this.lease.reportQuota(quota);
  }
}
