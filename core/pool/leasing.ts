import { coolUntil, type CredentialRecord, type ModelRecord } from '../state/records.js';
import { countRequest, windowReason, type FullWindow, type WindowCounts } from '../state/request-windows.js';
import { countDownQuota } from './outcomes.js';
import type { PoolEntry } from './pool-entry.js';
import type { PoolSettings } from './settings.js';

/**
 * A request starts on `e` for `model`: it is in flight, its throttle interval starts, it counts
 * (per credential and model, and against the upstream's reported quota), and every served request
 * counts down the credentials sitting out after a transient failure. `countWindows`: count
 * `throttle.windows` here (no shared gate counts them, or it is cut off). Returns whether records
 * other than `e`'s changed (a skip counted down).
 */
export function startRequest(entries: readonly PoolEntry[], e: PoolEntry, model: string, now: number, throttle: PoolSettings['throttle'], countWindows: boolean): boolean {
  let others = false;
  for (const other of entries) {
    if (other.record.skipRequests > 0 && other !== e) {
      other.record.skipRequests--;
      others = true;
    }
  }
  const r = e.record;
  if (r.skipRequests > 0) r.skipRequests--;
  e.inFlight++;
  if (throttle.scope === 'model') e.started(model, now);
  else e.lastStartAt = now;
  r.requests++;
  r.lastUsedAt = now;
  const m = e.model(model);
  m.requests++;
  m.lastUsedAt = now;
  countDownQuota(r, m, now);
  if (countWindows) countWindow(throttle.scope === 'model' ? m : r, throttle, now);
  return others;
}

/** A window filled by this request rests the credential (or its model) until the window ends. */
function countWindow(target: CredentialRecord | ModelRecord, throttle: PoolSettings['throttle'], now: number): void {
  restUntilWindowEnds(target, countRequest((target.windows ??= Object.create(null) as WindowCounts), throttle.windows, now));
}

/** A full request window rests its record (a credential's, or one model's) until it ends, like a cooldown. */
export function restUntilWindowEnds(target: { cooldownUntil?: number; cooldownReason?: string }, full: FullWindow | undefined): void {
  if (full) coolUntil(target, full.until, windowReason(full.window));
}
