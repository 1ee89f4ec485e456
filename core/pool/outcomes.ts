import type { TokenUsage } from '../canonical/usage.js';
import type { FailureKind } from '../contract/provider.js';
import type { QuotaObservation } from '../contract/provider.js';
import type { FailureDetail } from './lease.js';
import type { PoolEntry } from './pool-entry.js';
import { coolUntil, freshCounters, freshRecord, replaceRecord, type CredentialRecord, type ModelRecord, type UsageCounters } from '../state/records.js';
import type { PoolSettings } from './settings.js';

const ERROR_TEXT_LIMIT = 300;
/** How long a lowered concurrency cap holds after a "too many concurrent requests" answer. */
const CONCURRENCY_CAP_MS = 60_000;

/**
 * How long the keyless entry rests after its upstream refused it (401/403): a keyless provider
 * that needs a key fails the same way every time, so it is asked again once a minute, not per
 * request; a restart asks again at once (the rest is not persisted).
 */
export const KEYLESS_REST_MS = 60_000;

/** What an outcome did to a credential, for the pool to act on (log, adaptive estimate). */
export type Effect = 'rate_limited' | 'disabled' | 'rested' | undefined;

/**
 * Out of service: a credential is disabled until an admin enables it (persisted). The keyless
 * entry is the provider itself, not a credential anyone could fix or replace, so it only rests
 * in memory for {@link KEYLESS_REST_MS}, and the reason is kept for the client's error.
 */
function takeOut(e: PoolEntry, reason: string, why: string, now: number): Effect {
  if (!e.credential) {
    e.restUntil = now + KEYLESS_REST_MS;
    e.restReason = why;
    return 'rested';
  }
  const r = e.record;
  r.enabled = false;
  r.disabledReason = reason;
  r.disabledAt = now;
  return 'disabled';
}

/** A success: counters up, the consecutive-failure count reset, the answer's tokens added. */
export function countSuccess(e: PoolEntry, model: string, usage: TokenUsage | undefined): void {
  const r = e.record;
  const m = e.model(model);
  r.successes++;
  m.successes++;
  r.consecutiveFailures = 0;
  r.consecutiveClientErrors = 0;
  if (usage) {
    r.tokensIn += usage.promptTokens;
    r.tokensOut += usage.completionTokens;
    m.tokensIn += usage.promptTokens;
    m.tokensOut += usage.completionTokens;
  }
}

/** A failure: counted by kind, and the kind's rule applied (docs/resilience.md). */
export function applyFailure(e: PoolEntry, model: string, kind: FailureKind, d: FailureDetail, settings: PoolSettings, now: number): Effect {
  const r = e.record;
  const m = e.model(model);
  bump(r, kind);
  bump(m, kind);
  // The client's own mistakes are not the credential's: no blame, no cooldown.
  if (kind === 'request_invalid') return undefined;
  const text = d.message.length > ERROR_TEXT_LIMIT ? `${d.message.slice(0, ERROR_TEXT_LIMIT)}…` : d.message;
  r.failures++;
  m.failures++;
  r.lastError = m.lastError = `${kind}: ${text}`;
  r.lastErrorAt = m.lastErrorAt = now;
  r.consecutiveFailures++;
  const c = settings.cooldowns;
  const clientError = d.status !== undefined && d.status >= 400 && d.status < 500 && d.status !== 429;
  r.consecutiveClientErrors = clientError ? r.consecutiveClientErrors + 1 : 0;
  if (clientError && c.disableAfterClientErrors > 0 && r.consecutiveClientErrors >= c.disableAfterClientErrors && kind !== 'credential_invalid') {
    return takeOut(e, `expired (${r.consecutiveClientErrors} client errors in a row)`, text, now);
  }

  const coolDown = (until: number, reason: string) => {
    if (settings.rateLimitScope === 'credential') return coolUntil(r, until, reason);
    coolUntil(m, until, reason);
    // Models drawing on the same upstream window rest with it.
    for (const other of settings.rateLimitGroup?.(model) ?? []) if (other !== model) coolUntil(e.model(other), until, reason);
  };
  const named = (what: string) => (d.limitType ? `${what} (${d.limitType})` : what);
  switch (kind) {
    case 'transient':
      r.skipRequests = Math.max(r.skipRequests, c.transientSkipRequests);
      return undefined;
    case 'rate_limited':
      if (d.lowerConcurrency) {
        // In flight counts this failed request: allow one fewer than were running, for a minute.
        e.concurrencyCap = Math.max(1, e.inFlight - 1);
        e.capUntil = now + CONCURRENCY_CAP_MS;
      }
      coolDown(now + (d.retryAfterMs ?? c.rateLimitedMs), named('rate limited'));
      m.observed = { ...m.observed, last429At: now, last429Type: d.limitType, updatedAt: now };
      return 'rate_limited';
    case 'quota_exhausted':
      coolDown(d.resetAt ?? now + (d.retryAfterMs ?? c.quotaExhaustedMs), named('quota exhausted'));
      r.quota = { ...r.quota, remaining: 0 };
      delete r.quotaSpent;
      m.observed = { ...m.observed, last429At: now, last429Type: d.limitType, updatedAt: now };
      return 'rate_limited';
    case 'credential_invalid':
      return takeOut(e, 'credential_invalid', text, now);
    case 'credential_model_denied':
      m.denied = true;
      return undefined;
    default:
      return undefined;
  }
}

/** The upstream's rate-limit headers on an answer: the window for quota-aware picking, and per model. */
export function observeQuota(e: PoolEntry, model: string, q: QuotaObservation, now: number): void {
  const r = e.record;
  r.quota = { ...r.quota, remaining: q.remaining, limit: q.limit ?? r.quota?.limit, resetAt: q.resetAt };
  delete r.quotaSpent; // the count starts again from what the upstream just said
  const m = e.model(model);
  delete m.quotaSpent;
  const o = (m.observed ??= {});
  o.limitRequests = q.limit ?? o.limitRequests;
  o.remainingRequests = q.remaining;
  o.limitTokens = q.limitTokens ?? o.limitTokens;
  o.remainingTokens = q.remainingTokens;
  o.resetAt = q.resetAt;
  o.updatedAt = now;
}

/**
 * A request started: one fewer left in each window the upstream reported and that has not reset.
 * A count beside the reported number, not a change to it, so instances sharing state add theirs up.
 */
export function countDownQuota(r: CredentialRecord, m: ModelRecord, now: number, by: 1 | -1 = 1): void {
  if (liveWindow(r.quota?.remaining, r.quota?.resetAt, now)) r.quotaSpent = Math.max(0, (r.quotaSpent ?? 0) + by);
  if (liveWindow(m.observed?.remainingRequests, m.observed?.resetAt, now)) m.quotaSpent = Math.max(0, (m.quotaSpent ?? 0) + by);
}

/** The upstream reported what is left and its window has not reset since. */
export function liveWindow(remaining: number | undefined, resetAt: number | undefined, now: number): boolean {
  return remaining !== undefined && (resetAt === undefined || resetAt > now);
}

/**
 * Start a credential afresh: counters, cooldowns, skips, denials and the disabled flag cleared.
 * What the upstream said of its limits is a fact about it, not a statistic: it stays.
 */
export function resetRecord(record: CredentialRecord, now: number): void {
  const fresh = freshRecord();
  fresh.statsSince = now;
  // Request windows count what the upstream allows, like its reported limits: they stay too.
  if (record.windows) fresh.windows = record.windows;
  for (const [model, m] of Object.entries(record.models)) {
    if (m.observed || m.windows) fresh.models[model] = { ...freshCounters(), ...(m.observed && { observed: m.observed }), ...(m.windows && { windows: m.windows }) };
  }
  replaceRecord(record, fresh);
}

/** Re-enable a credential and clear its cooldowns, denials and skips; counters stay. */
export function enableRecord(r: CredentialRecord): void {
  r.enabled = true;
  delete r.disabledReason;
  delete r.disabledAt;
  delete r.cooldownUntil;
  delete r.cooldownReason;
  r.skipRequests = 0;
  r.consecutiveFailures = 0;
  r.consecutiveClientErrors = 0;
  for (const m of Object.values(r.models)) {
    delete m.cooldownUntil;
    delete m.cooldownReason;
    delete m.denied;
  }
}

function bump(c: UsageCounters, kind: FailureKind): void {
  c.failuresByKind[kind] = (c.failuresByKind[kind] ?? 0) + 1;
}
