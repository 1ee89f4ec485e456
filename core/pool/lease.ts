import type { TokenUsage } from '../canonical/usage.js';
import type { FailureKind } from '../contract/provider.js';
import type { QuotaObservation } from '../contract/provider.js';
import type { PoolEntry } from './pool-entry.js';

/** What the pool needs to know of a failure to apply its cooldown rule. */
export interface FailureDetail {
  /** Shown in stats: already scrubbed of secrets. */
  message: string;
  retryAfterMs?: number;
  resetAt?: number;
  /** The upstream's name for the limit that was hit, for a 429. */
  limitType?: string;
  /** Too many requests at once on this credential: cap it below what it had in flight. */
  lowerConcurrency?: boolean;
  /** The upstream's HTTP status, when it answered (4xx in a row can disable a credential). */
  status?: number;
}

/** What a lease reports to (its pool): the first three settle it (record the outcome, free the slot); the last does not. */
export interface LeaseOwner {
  recordSuccess(lease: Lease, usage: TokenUsage | undefined): void;
  /** Count the failure and apply its cooldown rule. */
  recordFailure(lease: Lease, kind: FailureKind, detail: FailureDetail): void;
  /** Neither blame nor credit: the slot is freed. */
  recordRelease(lease: Lease): void;
  /** The upstream's rate-limit headers on an answer (the lease stays held). */
  recordQuota(lease: Lease, quota: QuotaObservation): void;
}

/**
 * One credential held for one upstream call (for a stream: until the stream ends). Settling it
 * with {@link succeed}, {@link fail} or {@link release} records the outcome and frees the slot;
 * only the first settlement counts.
 */
export class Lease {
  #settled = false;
  #onSettled: (() => void) | undefined;
  /** The shared gate's id for this request's in-flight slot, when it keeps one. */
  gateToken: string | undefined;

  constructor(
    private readonly owner: LeaseOwner,
    readonly entry: PoolEntry,
    /** The upstream model the lease is for. */
    readonly model: string,
  ) {}

  get credential() {
    return this.entry.credential;
  }

  get settled(): boolean {
    return this.#settled;
  }

  succeed(usage?: TokenUsage): void {
    if (this.#settle()) this.owner.recordSuccess(this, usage);
  }

  fail(kind: FailureKind, detail: FailureDetail): void {
    if (this.#settle()) this.owner.recordFailure(this, kind, detail);
  }

  /** Give the credential back without blaming or crediting it (the client left). */
  release(): void {
    if (this.#settle()) this.owner.recordRelease(this);
  }

  reportQuota(quota: QuotaObservation): void {
    this.owner.recordQuota(this, quota);
  }

  /** Resolves once the lease is settled (a bulkhead slot is held until then). */
  whenSettled(): Promise<void> {
    if (this.#settled) return Promise.resolve();
    return new Promise((resolve) => {
      const before = this.#onSettled;
      this.#onSettled = before ? () => (before(), resolve()) : resolve;
    });
  }

  #settle(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    this.#onSettled?.();
    return true;
  }
}
