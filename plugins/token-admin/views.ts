import { iso, observedView, type CredentialView, type ObservedView, type ProviderHandle } from '../../core/index.js';

type ModelRecord = CredentialView['models'][string];
type FailureCounts = CredentialView['failuresByKind'];

export interface ModelView {
  requests: number;
  successes: number;
  failures: number;
  failuresByKind: FailureCounts;
  tokensIn: number;
  tokensOut: number;
  lastUsed: string | null;
  lastError: string | null;
  /** A per-model cooldown that is still running. */
  cooldownUntil: string | null;
  cooldownReason: string | null;
  denied: boolean;
  observed: ObservedView | null;
}

/** One credential: the seed's fields first, then Switchboard's own. Never the secret. */
export interface TokenView {
  key: string;
  index: number;
  isCurrent: boolean;
  blocked: boolean;
  blockedUntil: string | null;
  failures: number;
  lastUsed: string | null;
  provider: string;
  enabled: boolean;
  disabledReason: string | null;
  disabledAt: string | null;
  requests: number;
  successes: number;
  failuresByKind: FailureCounts;
  consecutiveFailures: number;
  cooldownReason: string | null;
  skipRequests: number;
  tokensIn: number;
  tokensOut: number;
  lastError: string | null;
  lastErrorAt: string | null;
  inFlight: number;
  models: Record<string, ModelView>;
}

export interface BreakerView {
  state: 'open' | 'half-open';
  retryInMs: number;
  until: string | null;
}

export interface ProviderSummary {
  id: string;
  plugin: string;
  /** Null when the pool has no credentials (configured ones that resolved to nothing). */
  current_token: string | null;
  total_tokens: number;
  /** Open or half-open breakers: upstream model (`*` for the provider-wide one) -> state. */
  breakers: Record<string, BreakerView>;
}

function modelView(m: ModelRecord, now: number): ModelView {
  const cooling = (m.cooldownUntil ?? 0) > now;
  return {
    requests: m.requests,
    successes: m.successes,
    failures: m.failures,
    failuresByKind: m.failuresByKind,
    tokensIn: m.tokensIn,
    tokensOut: m.tokensOut,
    lastUsed: iso(m.lastUsedAt),
    lastError: m.lastError ?? null,
    cooldownUntil: cooling ? iso(m.cooldownUntil) : null,
    cooldownReason: cooling ? (m.cooldownReason ?? null) : null,
    denied: m.denied === true,
    observed: m.observed ? observedView(m.observed, m.quotaSpent) : null,
  };
}

/** Every credential of one pool, in pool order. */
export function tokenViews(handle: ProviderHandle, now: number): TokenView[] {
  const { pool } = handle;
  const current = pool.current?.index;
  return pool.snapshot().map((c, index) => {
    const cooling = (c.cooldownUntil ?? 0) > now;
    return {
      key: c.id,
      index,
      isCurrent: index === current,
      blocked: !c.enabled || cooling,
      blockedUntil: c.enabled && cooling ? iso(c.cooldownUntil) : null,
      failures: c.failures,
      lastUsed: iso(c.lastUsedAt),
      provider: handle.id,
      enabled: c.enabled,
      disabledReason: c.enabled ? null : (c.disabledReason ?? null),
      disabledAt: c.enabled ? null : iso(c.disabledAt),
      requests: c.requests,
      successes: c.successes,
      failuresByKind: c.failuresByKind,
      consecutiveFailures: c.consecutiveFailures,
      cooldownReason: cooling ? (c.cooldownReason ?? null) : null,
      skipRequests: c.skipRequests,
      tokensIn: c.tokensIn,
      tokensOut: c.tokensOut,
      lastError: c.lastError ?? null,
      lastErrorAt: iso(c.lastErrorAt),
      inFlight: c.inFlight,
      // fromEntries defines keys: a model named `__proto__` stays an entry.
      models: Object.fromEntries(Object.entries(c.models).map(([id, m]) => [id, modelView(m, now)])),
    };
  });
}

/** One pool at a glance: its current credential, its size and its open breakers. */
export function providerSummary(handle: ProviderHandle, now: number): ProviderSummary {
  const open = Object.entries(handle.policies.openBreakers());
  const breakers: Record<string, BreakerView> = Object.fromEntries(open.map(([model, b]) => [model, { ...b, until: iso(now + b.retryInMs) }]));
  return {
    id: handle.id,
    plugin: handle.plugin.name,
    current_token: handle.pool.current?.id ?? null,
    total_tokens: handle.pool.entries.length,
    breakers,
  };
}
