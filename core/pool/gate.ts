/** What the pool learns from the shared gate (core/state/gate.ts) and tells it. */
import { countDownQuota } from './outcomes.js';
import type { PoolEntry } from './pool-entry.js';
import { coolUntil } from '../state/records.js';
import type { GateVerdict, SharedGate } from '../state/gate.js';

/** A credential the gate found busy on other instances is asked again after this long. */
const BUSY_RETRY_MS = 25;

/**
 * The gate refused a request this instance had leased locally: uncount it, and keep why, so the
 * next local pick already knows (throttled or busy until then, or cooling down).
 */
export function learnRefusal(e: PoolEntry, model: string, v: Exclude<GateVerdict, { ok: true }>, now: number): void {
  e.record.requests--;
  e.model(model).requests--;
  countDownQuota(e.record, e.model(model), now, -1); // the request never started
  if (v.why === 'cooling') learnCooldown(e, v.scope === 'credential' ? undefined : model, v.waitMs, v.reason, now);
  else e.gateUntil = now + (v.why === 'throttled' ? v.waitMs : BUSY_RETRY_MS);
}

/** Another instance cooled this credential (for every model when `model` is undefined): rest it here too. */
export function learnCooldown(e: PoolEntry, model: string | undefined, ms: number, reason: string | undefined, now: number): void {
  coolUntil(model === undefined ? e.record : e.model(model), now + ms, reason ?? 'cooling down (seen by another instance)');
}

/** Tell the other instances how long a credential now rests; they learn it on their next try of it. */
export function shareCooldowns(gate: SharedGate, provider: string, e: PoolEntry, model: string, now: number): void {
  const all = (e.record.cooldownUntil ?? 0) - now;
  if (all > 0) gate.cool(provider, e.key, undefined, all, e.record.cooldownReason);
  const m = e.peekModel(model);
  const one = (m?.cooldownUntil ?? 0) - now;
  if (one > 0) gate.cool(provider, e.key, model, one, m?.cooldownReason);
}
