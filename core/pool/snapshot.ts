import type { PoolEntry } from './pool-entry.js';
import type { CredentialRecord, ModelRecord } from '../state/records.js';

/** One credential as stats and admin endpoints show it. */
export interface CredentialView extends Omit<CredentialRecord, 'models'> {
  /** Masked secret or configured name. */
  id: string;
  /** Key in the state store (name, or `sha256:` + 16 hex digits of the secret). */
  key: string;
  name?: string;
  tier?: string;
  tags?: readonly string[];
  inFlight: number;
  /** A credential-wide cooldown is running (per-model ones are in `models`). */
  coolingDown: boolean;
  models: Record<string, ModelRecord>;
}

/** A copy of one credential's state, safe to show: never the secret. */
export function viewOf(e: PoolEntry, now: number): CredentialView {
  const r = e.record;
  // fromEntries defines keys, so a stored `__proto__` model stays an entry, not a prototype.
  const models: Record<string, ModelRecord> = Object.fromEntries(Object.entries(r.models).map(([id, m]) => [id, structuredClone(m)]));
  const { models: _omit, ...rest } = structuredClone(r);
  return {
    ...rest,
    id: e.id,
    key: e.key,
    name: e.credential?.name,
    tier: e.credential?.tier,
    tags: e.credential?.tags,
    inFlight: e.inFlight,
    coolingDown: Boolean((r.cooldownUntil ?? 0) > now),
    models,
  };
}
