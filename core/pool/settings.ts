import type { RequestWindow } from '../state/request-windows.js';

/** How a provider's credentials are picked. */
export type Strategy = 'round-robin' | 'least-used' | 'quota-aware' | 'random';

/** Whether an upstream's 429s are about one model or the whole account. */
export type RateLimitScope = 'model' | 'credential';

/** Pool behaviour of one provider, from its `pool:`, `throttle:` and `cooldowns:` keys. */
export interface PoolSettings {
  strategy: Strategy;
  /** Wait up to this long for a cooling credential instead of answering 429 (0: never wait). */
  waitForCooldownMs: number;
  /** Unset: what the provider plugin declares, else `model`. */
  rateLimitScope?: RateLimitScope;
  /** The provider's models sharing a model's window (Provider.rateLimitGroup), rested together. */
  rateLimitGroup?: (model: string) => readonly string[] | undefined;
  throttle: {
    /** Least time between the starts of two requests on one credential (0: none). */
    minIntervalMs: number;
    /** `credential`: the interval spaces all of a credential's requests; `model`: per credential and model. */
    scope: 'credential' | 'model';
    /** Most requests in flight on one credential (0: no cap). */
    maxConcurrent: number;
    /** Most callers waiting for a throttled or busy credential. */
    queueLimit: number;
    /** Longest a caller waits in that queue. */
    queueTimeoutMs: number;
    /** At most so many requests per window, per credential (or credential and model, by `scope`). */
    windows: RequestWindow[];
  };
  cooldowns: {
    /** After a transient failure the credential sits out this many requests. */
    transientSkipRequests: number;
    /** 429 with quota left and no stated wait. */
    rateLimitedMs: number;
    /** 429 with no quota left and no known reset. */
    quotaExhaustedMs: number;
    /** Disable a credential after this many 4xx failures in a row (not 429s; 0: never). */
    disableAfterClientErrors: number;
  };
}

export const DEFAULT_POOL_SETTINGS: PoolSettings = {
  strategy: 'round-robin',
  waitForCooldownMs: 0,
  throttle: { minIntervalMs: 0, scope: 'credential', maxConcurrent: 0, queueLimit: 100, queueTimeoutMs: 30_000, windows: [] },
  cooldowns: { transientSkipRequests: 5, rateLimitedMs: 3_600_000, quotaExhaustedMs: 36_000_000, disableAfterClientErrors: 0 },
};
