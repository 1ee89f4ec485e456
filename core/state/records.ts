import type { FailureKind } from '../contract/provider.js';
import { hydrateWindows, type WindowCounts } from './request-windows.js';

/** Counters kept per credential and, inside it, per upstream model. */
export interface UsageCounters {
  requests: number;
  successes: number;
  failures: number;
  failuresByKind: Partial<Record<FailureKind, number>>;
  tokensIn: number;
  tokensOut: number;
  lastUsedAt?: number;
  /** Last failure, scrubbed of secrets and shortened. */
  lastError?: string;
  lastErrorAt?: number;
}

/** What the upstream said of one credential's limits for one model. */
export interface ObservedLimits {
  limitRequests?: number;
  remainingRequests?: number;
  limitTokens?: number;
  remainingTokens?: number;
  /** Epoch ms when the request window resets. */
  resetAt?: number;
  updatedAt?: number;
  last429At?: number;
  /** The upstream's name for the limit that bit (`UserByModelByDay`, ...). */
  last429Type?: string;
}

export interface ModelRecord extends UsageCounters {
  /** A rate-limit or quota cooldown for this model only (`rateLimitScope: model`, the default). */
  cooldownUntil?: number;
  cooldownReason?: string;
  /** The upstream refused this credential this model (`credential_model_denied`). */
  denied?: boolean;
  observed?: ObservedLimits;
  /** Requests started since `observed.remainingRequests` was reported: what is left is the difference. */
  quotaSpent?: number;
  /** Requests counted in `throttle.windows` (`throttle.scope: model`). */
  windows?: WindowCounts;
}

/** Everything the pool remembers about one credential; persisted in the state store. */
export interface CredentialRecord extends UsageCounters {
  enabled: boolean;
  disabledReason?: string;
  disabledAt?: number;
  consecutiveFailures: number;
  /** 4xx failures (not 429) in a row, for `cooldowns.disableAfterClientErrors`. */
  consecutiveClientErrors: number;
  /** Credential-wide cooldown (`rateLimitScope: credential`: rate limits and quota for every model). */
  cooldownUntil?: number;
  cooldownReason?: string;
  /** Sit out this many more requests (after a transient failure). */
  skipRequests: number;
  /** Requests left in the upstream's current window, and when it resets, when the upstream says. */
  quota?: { remaining?: number; limit?: number; resetAt?: number };
  /** Requests started since `quota.remaining` was reported (counted across instances). */
  quotaSpent?: number;
  /** When an admin last reset it: instances sharing state drop counts they made before (epoch ms). */
  statsSince?: number;
  /** Requests counted in `throttle.windows` (`throttle.scope: credential`). */
  windows?: WindowCounts;
  models: Record<string, ModelRecord>;
}

export function freshCounters(): UsageCounters {
  return { requests: 0, successes: 0, failures: 0, failuresByKind: {}, tokensIn: 0, tokensOut: 0 };
}

export function freshRecord(): CredentialRecord {
  return { ...freshCounters(), enabled: true, consecutiveFailures: 0, consecutiveClientErrors: 0, skipRequests: 0, models: Object.create(null) as Record<string, ModelRecord> };
}

const num = (v: unknown, fallback = 0): number => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
const optNum = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const optStr = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function counters(raw: Record<string, unknown>): UsageCounters {
  const byKind: Partial<Record<FailureKind, number>> = {};
  const rawKinds = raw.failuresByKind;
  if (rawKinds && typeof rawKinds === 'object') {
    for (const [k, v] of Object.entries(rawKinds)) if (typeof v === 'number') byKind[k as FailureKind] = v;
  }
  const c: UsageCounters = {
    requests: num(raw.requests),
    successes: num(raw.successes),
    failures: num(raw.failures),
    failuresByKind: byKind,
    tokensIn: num(raw.tokensIn),
    tokensOut: num(raw.tokensOut),
  };
  setIf(c, 'lastUsedAt', optNum(raw.lastUsedAt));
  setIf(c, 'lastError', optStr(raw.lastError));
  setIf(c, 'lastErrorAt', optNum(raw.lastErrorAt));
  return c;
}

function setIf<T extends object, K extends keyof T>(o: T, k: K, v: T[K] | undefined): void {
  if (v !== undefined) o[k] = v;
}

/** Rest a credential (or one of its models) until `until`; a running cooldown is never shortened: the later deadline wins. */
export function coolUntil(target: { cooldownUntil?: number; cooldownReason?: string }, until: number, reason: string): void {
  if ((target.cooldownUntil ?? 0) < until) {
    target.cooldownUntil = until;
    target.cooldownReason = reason;
  }
}

/** Make `target` (the live object the pool holds) into `fresh`, in place. */
export function replaceRecord(target: CredentialRecord, fresh: CredentialRecord): void {
  for (const k of Object.keys(target)) delete (target as unknown as Record<string, unknown>)[k];
  Object.assign(target, fresh);
}

/**
 * A record read back from the store, field by field: a file edited by hand or written by another
 * version must not smuggle in wrong types (or a `__proto__` model key).
 */
export function hydrateRecord(raw: unknown): CredentialRecord {
  const rec = freshRecord();
  if (!raw || typeof raw !== 'object') return rec;
  const r = raw as Record<string, unknown>;
  Object.assign(rec, counters(r));
  rec.enabled = r.enabled !== false;
  setIf(rec, 'disabledReason', optStr(r.disabledReason));
  setIf(rec, 'disabledAt', optNum(r.disabledAt));
  rec.consecutiveFailures = num(r.consecutiveFailures);
  rec.consecutiveClientErrors = num(r.consecutiveClientErrors);
  setIf(rec, 'cooldownUntil', optNum(r.cooldownUntil));
  setIf(rec, 'cooldownReason', optStr(r.cooldownReason));
  rec.skipRequests = num(r.skipRequests);
  if (r.quota && typeof r.quota === 'object') {
    const q = r.quota as Record<string, unknown>;
    rec.quota = {};
    setIf(rec.quota, 'remaining', optNum(q.remaining));
    setIf(rec.quota, 'limit', optNum(q.limit));
    setIf(rec.quota, 'resetAt', optNum(q.resetAt));
  }
  setIf(rec, 'quotaSpent', optNum(r.quotaSpent));
  setIf(rec, 'statsSince', optNum(r.statsSince));
  setIf(rec, 'windows', hydrateWindows(r.windows));
  if (r.models && typeof r.models === 'object') {
    for (const [model, m] of Object.entries(r.models as Record<string, unknown>)) {
      if (!m || typeof m !== 'object') continue;
      const mr = m as Record<string, unknown>;
      const out: ModelRecord = counters(mr);
      setIf(out, 'cooldownUntil', optNum(mr.cooldownUntil));
      setIf(out, 'cooldownReason', optStr(mr.cooldownReason));
      if (mr.denied === true) out.denied = true;
      setIf(out, 'quotaSpent', optNum(mr.quotaSpent));
      setIf(out, 'windows', hydrateWindows(mr.windows));
      if (mr.observed && typeof mr.observed === 'object') {
        const o = mr.observed as Record<string, unknown>;
        const obs: ObservedLimits = {};
        for (const k of ['limitRequests', 'remainingRequests', 'limitTokens', 'remainingTokens', 'resetAt', 'updatedAt', 'last429At'] as const) setIf(obs, k, optNum(o[k]));
        setIf(obs, 'last429Type', optStr(o.last429Type));
        out.observed = obs;
      }
      rec.models[model] = out;
    }
  }
  return rec;
}
