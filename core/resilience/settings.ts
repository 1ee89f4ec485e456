/** Retry, breaker and bulkhead settings of one provider (`retry:`, `breaker:`, `bulkhead:`). */
export interface RetrySettings {
  /** Tries of one target for transient failures, the first included (1: no retry). */
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export interface BreakerSettings {
  /** `consecutive`: open after N failures in a row; `sampling`: open above a failure rate. */
  type: 'consecutive' | 'sampling';
  consecutiveFailures: number;
  /** sampling: failure rate (0-1) that opens the breaker... */
  threshold: number;
  /** ...measured over this window... */
  samplingDurationMs: number;
  /** ...once it sees at least this many requests per second. */
  minimumRps: number;
  /** Open this long, then let one probe through (half-open). */
  halfOpenAfterMs: number;
  /** After `provider_gone` (e.g. HTTP 410) the whole provider rests this long. */
  goneRecoveryMs: number;
}

export interface BulkheadSettings {
  /** Most calls in flight to this provider (0: no bulkhead). */
  maxConcurrent: number;
  /** Calls that may wait for a slot beyond that. */
  queue: number;
}

export interface ResilienceSettings {
  retry: RetrySettings;
  breaker: BreakerSettings;
  bulkhead: BulkheadSettings;
}

export const DEFAULT_RESILIENCE: ResilienceSettings = {
  retry: { attempts: 3, initialDelayMs: 100, maxDelayMs: 2_000 },
  breaker: { type: 'consecutive', consecutiveFailures: 5, threshold: 0.5, samplingDurationMs: 30_000, minimumRps: 1, halfOpenAfterMs: 30_000, goneRecoveryMs: 3_600_000 },
  bulkhead: { maxConcurrent: 0, queue: 0 },
};
