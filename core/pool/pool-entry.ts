import type { Credential } from '../contract/provider.js';
import type { CredentialRecord, ModelRecord } from '../state/records.js';
import { freshCounters } from '../state/records.js';

/** Models tracked per credential; later ones share one bucket so a client cannot grow the state. */
const MAX_MODELS = 256;
export const OTHER_MODELS = '(other models)';

/** One credential in a pool: the secret-bearing credential, its persisted record, its live counters. */
export class PoolEntry {
  /** Requests on this credential that have not finished (not persisted). */
  inFlight = 0;
  /** When the latest request on it started, for the throttle interval (not persisted). */
  lastStartAt = 0;
  /** A temporary cap on requests in flight after the upstream said "too many at once" (not persisted). */
  concurrencyCap = 0;
  capUntil = 0;
  /** The shared gate (another instance) refused it until then: throttled or busy there (not persisted). */
  gateUntil = 0;
  /**
   * The keyless entry (a provider configured without credentials) was refused by the upstream:
   * it rests until then, in memory only, so a restart tries again at once (not persisted).
   */
  restUntil = 0;
  restReason: string | undefined;
  /** Safe to show and unique in its pool: the configured name or the masked secret (see uniqueIds). */
  id: string;
  /** The same per model, for `throttle.scope: model` (not persisted). */
  #lastStartByModel: Map<string, number> | undefined;

  constructor(
    /** Position in the pool, for the round-robin cursor (changes when credentials are added or removed). */
    public index: number,
    /** Undefined for the one entry of a provider configured without credentials. */
    readonly credential: Credential | undefined,
    /** Stable key in the state store: the configured name or a hash of the secret. */
    readonly key: string,
    readonly record: CredentialRecord,
  ) {
    this.id = credential?.id ?? '(no credential)';
  }

  /** When the latest request on it started, for all models or for one. */
  lastStart(model: string | undefined): number {
    return model === undefined ? this.lastStartAt : (this.#lastStartByModel?.get(model) ?? 0);
  }

  started(model: string, now: number): void {
    this.lastStartAt = now;
    const m = (this.#lastStartByModel ??= new Map());
    // Only throttle state: forgetting it when a client has named too many models is harmless.
    if (m.size >= 1024 && !m.has(model)) m.clear();
    m.set(model, now);
  }

  /** This credential's record for `model`, created on first use. */
  model(model: string): ModelRecord {
    const models = this.record.models;
    let m = Object.hasOwn(models, model) ? models[model] : undefined;
    if (m) return m;
    const key = Object.keys(models).length < MAX_MODELS ? model : OTHER_MODELS;
    m = models[key] ??= freshCounters();
    return m;
  }

  /**
   * The model's record if it exists (no creation on the selection path). Past the cap, models
   * without their own record share the overflow bucket, cooldowns included.
   */
  peekModel(model: string): ModelRecord | undefined {
    const models = this.record.models;
    return Object.hasOwn(models, model) ? models[model] : models[OTHER_MODELS];
  }

  /** When this credential may serve `model` again, or 0 if it may now. */
  coolingUntil(model: string, now: number): number {
    const a = this.record.cooldownUntil ?? 0;
    const b = this.peekModel(model)?.cooldownUntil ?? 0;
    const until = a > b ? a : b;
    return until > now ? until : 0;
  }
}
