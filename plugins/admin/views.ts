import { credentialState, iso, observedView, runningCooldown, type CredentialState, type CredentialView, type ObservedView, type ProviderHandle } from '../../core/index.js';

/** The pool's own counts, shown as they are. */
type Counts = Pick<CredentialView, 'requests' | 'successes' | 'failures' | 'failuresByKind' | 'tokensIn' | 'tokensOut' | 'inFlight'>;

/** One credential as the admin API shows it: never the secret; `id` is what the action routes take. */
export interface AdminCredential extends Counts {
  id: string;
  name: string | null;
  tier: string | null;
  state: CredentialState;
  /** The latest cooldown still running (credential-wide or for any model), and why. */
  coolingUntil: string | null;
  coolingReason: string | null;
  disabledReason: string | null;
  /** Models the upstream refused this credential. */
  deniedModels: string[];
  quota: { remaining: number | null; limit: number | null; resetAt: string | null } | null;
  /** The limits the upstream reported, per model. */
  observed: Record<string, ObservedView>;
  lastUsed: string | null;
  lastError: string | null;
}

export interface AdminProvider {
  id: string;
  plugin: string;
  ready: boolean;
  models: string[];
  /** Breakers not closed: model (`*` provider-wide) -> state and when it may close. */
  breakers: Record<string, { state: 'open' | 'half-open'; until: string | null }>;
  credentials: Record<CredentialState, number>;
}

export function credentialViews(handle: ProviderHandle, now: number): AdminCredential[] {
  return handle.pool.snapshot().map((c) => {
    const cooling = runningCooldown(c, now);
    const observed: Record<string, ObservedView> = {};
    for (const [model, m] of Object.entries(c.models)) if (m.observed) observed[model] = observedView(m.observed, m.quotaSpent);
    return {
      id: c.id,
      name: c.name ?? null,
      tier: c.tier ?? null,
      state: credentialState(c, now),
      coolingUntil: cooling ? iso(cooling.until) : null,
      coolingReason: cooling?.reason ?? null,
      disabledReason: c.enabled ? null : (c.disabledReason ?? null),
      deniedModels: Object.entries(c.models).filter(([, m]) => m.denied).map(([id]) => id),
      quota: c.quota ? { remaining: c.quota.remaining ?? null, limit: c.quota.limit ?? null, resetAt: iso(c.quota.resetAt) } : null,
      observed,
      requests: c.requests,
      successes: c.successes,
      failures: c.failures,
      failuresByKind: c.failuresByKind,
      tokensIn: c.tokensIn,
      tokensOut: c.tokensOut,
      lastUsed: iso(c.lastUsedAt),
      lastError: c.lastError ?? null,
      inFlight: c.inFlight,
    };
  });
}

export async function providerView(handle: ProviderHandle, now: number, ready: boolean): Promise<AdminProvider> {
  const counts: Record<CredentialState, number> = { ok: 0, cooling: 0, disabled: 0 };
  for (const e of handle.pool.entries) counts[credentialState(e.record, now)]++;
  let models: string[] = [];
  try {
    models = (await handle.instance.listModels()).map((m) => m.id);
  } catch {
    // a provider whose model list is unreachable still shows its pool
  }
  const breakers = Object.fromEntries(Object.entries(handle.policies.openBreakers()).map(([model, b]) => [model, { state: b.state, until: iso(now + b.retryInMs) }]));
  return { id: handle.id, plugin: handle.plugin.name, ready, models, breakers, credentials: counts };
}
