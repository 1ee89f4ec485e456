import type { CredentialRecord, ObservedLimits } from '../state/records.js';

/**
 * Helpers for admin endpoints (the token-admin and rate-limits extensions, and anyone's own):
 * times and observed limits as JSON shows them, and the `?provider=` selection.
 */

/** Epoch ms as ISO-8601, or null when unknown (or out of Date's range). */
export function iso(ms: number | null | undefined): string | null {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return null;
  return new Date(ms).toISOString();
}

/** What the upstream said of one credential's limits for one model, as JSON shows it. */
export interface ObservedView {
  limitRequests: number | null;
  remainingRequests: number | null;
  limitTokens: number | null;
  remainingTokens: number | null;
  resetAt: string | null;
  last429At: string | null;
  last429Type: string | null;
  updated_at: string | null;
}

/** `spent`: requests started since the upstream reported `remainingRequests` (shown less them). */
export function observedView(o: ObservedLimits, spent = 0): ObservedView {
  return {
    limitRequests: o.limitRequests ?? null,
    remainingRequests: o.remainingRequests === undefined ? null : Math.max(0, o.remainingRequests - spent),
    limitTokens: o.limitTokens ?? null,
    remainingTokens: o.remainingTokens ?? null,
    resetAt: iso(o.resetAt),
    last429At: iso(o.last429At),
    last429Type: o.last429Type ?? null,
    updated_at: iso(o.updatedAt),
  };
}

/** A credential at a glance: disabled, cooling (a cooldown running, credential-wide or for any model), else ok. */
export type CredentialState = 'ok' | 'cooling' | 'disabled';

/** The latest cooldown still running on a credential (its own or a model's), or undefined. */
export function runningCooldown(r: CredentialRecord, now: number): { until: number; reason: string | undefined } | undefined {
  let latest: { until: number; reason: string | undefined } | undefined;
  const consider = (until: number | undefined, reason: string | undefined) => {
    if (until !== undefined && until > now && (!latest || until > latest.until)) latest = { until, reason };
  };
  consider(r.cooldownUntil, r.cooldownReason);
  for (const m of Object.values(r.models)) consider(m.cooldownUntil, m.cooldownReason);
  return latest;
}

export function credentialState(r: CredentialRecord, now: number): CredentialState {
  if (!r.enabled) return 'disabled';
  return runningCooldown(r, now) ? 'cooling' : 'ok';
}
