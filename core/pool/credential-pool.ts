import type { TokenUsage } from '../canonical/usage.js';
import type { Credential, FailureKind, Logger } from '../contract/provider.js';
import type { Clock } from '../state/clock.js';
import type { StateStore } from '../state/store.js';
import type { SharedGate } from '../state/gate.js';
import { learnRefusal, shareCooldowns } from './gate.js';
import type { CallSignal } from '../upstream/call-signal.js';
import type { QuotaObservation } from '../upstream/retry-hints.js';
import { hydrateAdaptive, type AdaptiveRecord } from '../state/adaptive-record.js';
import { AdaptiveRpm } from './adaptive-rpm.js';
import { PoolExhausted } from './exhausted.js';
import { Lease, type FailureDetail } from './lease.js';
import { applyFailure, countDownQuota, countSuccess, enableRecord, observeQuota, resetRecord } from './outcomes.js';
import { PoolEntry } from './pool-entry.js';
import { WAIT, WaitQueue } from './wait-queue.js';
import { coolUntil, type CredentialRecord } from '../state/records.js';
import { countRequest, fullWindow, windowReason, type FullWindow, type WindowCounts } from '../state/request-windows.js';
import { hydrateChanges } from '../state/credential-changes.js';
import { effectiveCredentials } from './credential-changes.js';
import { entriesFor, names } from './membership.js';
import { ownError } from './own-error.js';
import { pickByStrategy } from './select.js';
import type { Tried } from './tried.js';
import type { PoolSettings } from './settings.js';
import { viewOf, type CredentialView } from './snapshot.js';

export type { CredentialView } from './snapshot.js';

/** A full request window rests its record (a credential's, or one model's) until it ends, like a cooldown. */
function restUntilWindowEnds(target: { cooldownUntil?: number; cooldownReason?: string }, full: FullWindow | undefined): void {
  if (full) coolUntil(target, full.until, windowReason(full.window));
}

export interface PoolInit {
  providerId: string;
  /** The provider's preference per model (see Provider.rankCredential); absent: all alike. */
  rank?: (credential: Credential | undefined, model: string) => number | undefined;
  credentials: readonly Credential[];
  /**
   * Set when the provider was configured with credentials that all resolved to nothing (an unset
   * variable, an empty list or file): the start-up warning that says so. Such a pool has no
   * entries, not the keyless one: it is not a provider that needs no key.
   */
  missing?: string;
  settings: PoolSettings;
  clock: Clock;
  store: StateStore;
  log: Logger;
}

/**
 * A provider's credentials and what is known of each: which may serve a model now (enabled, not
 * cooling down, not denied it, under its concurrency cap, past its throttle interval), which one
 * to use by strategy, and what every outcome does to it. Callers that must wait for a throttled
 * or busy credential queue in arrival order.
 */
export class CredentialPool {
  readonly providerId: string;
  /** In pool order; replaced (not mutated) when credentials are added or removed. */
  entries: readonly PoolEntry[] = [];
  settings: PoolSettings;
  /** Per-model requests-per-minute estimate, learned from 429s. */
  readonly adaptive: AdaptiveRpm;
  #clock: Clock;
  #rank: PoolInit['rank'];
  #store: StateStore;
  #gate: SharedGate | undefined;
  #log: Logger;
  #cursor = 0;
  #configured: readonly Credential[];
  #missing: string | undefined;
  readonly #queue: WaitQueue;

  constructor(init: PoolInit) {
    this.providerId = init.providerId;
    this.settings = init.settings;
    this.#clock = init.clock;
    this.#rank = init.rank;
    this.#store = init.store;
    this.#gate = init.store.gate;
    this.#log = init.log;
    this.#queue = new WaitQueue(this, init.clock);
    this.#configured = init.credentials;
    this.#missing = init.missing;
    const changes = (init.store.data.credentials ??= {});
    changes[init.providerId] = hydrateChanges(changes[init.providerId]);
    // Rebuilt from the credentials in service: records of credentials no longer there go.
    const saved = init.store.data.pools[init.providerId] ?? {};
    init.store.data.pools[init.providerId] = {};
    this.#rebuild(saved);
    const observed = ((init.store.data.observed ??= {})[init.providerId] ?? {}) as Record<string, unknown>;
    const adaptive = Object.create(null) as Record<string, AdaptiveRecord>;
    for (const [model, raw] of Object.entries(observed)) {
      const r = hydrateAdaptive(raw, init.clock.now());
      if (r) adaptive[model] = r;
    }
    init.store.data.observed[init.providerId] = adaptive;
    this.adaptive = new AdaptiveRpm(adaptive, init.clock);
  }

  /**
   * Lease a credential for `model`: at once when one may serve (the usual case, no promise), after
   * a wait in the queue when all that could serve are throttled or busy. Throws
   * {@link PoolExhausted} when none can serve and none will soon, and a 429/503 GatewayError when
   * the queue is full or the wait times out.
   */
  acquire(model: string, signal: CallSignal, tried?: Tried): Lease | Promise<Lease> {
    // Only a throttle needs Redis before the request: cooldowns reach the instances on their own.
    const t = this.settings.throttle;
    if (this.#gate && (t.minIntervalMs > 0 || t.maxConcurrent > 0 || t.windows.length > 0)) return this.#acquireShared(this.#gate, model, signal, tried);
    return this.#acquireLocal(model, signal, tried);
  }

  #acquireLocal(model: string, signal: CallSignal, tried?: Tried): Lease | Promise<Lease> {
    if (this.#queue.length === 0) {
      const picked = this.pick(model, this.#clock.now(), tried);
      if (picked instanceof PoolEntry) return this.lease(picked, model);
      if (picked !== WAIT) throw picked;
    }
    return this.#queue.enqueue(model, signal, tried);
  }

  /**
   * With instances sharing state: this instance's choice, then the gate's word on it. A refusal
   * (another instance used the credential too recently, fills its slots, or cooled it down) is
   * learned locally and the choice is made again, so the next pick already knows.
   */
  async #acquireShared(gate: SharedGate, model: string, signal: CallSignal, tried?: Tried): Promise<Lease> {
    const { minIntervalMs, maxConcurrent, scope, windows } = this.settings.throttle;
    for (;;) {
      const got = this.#acquireLocal(model, signal, tried);
      const lease = got instanceof Promise ? await got : got;
      const e = lease.entry;
      const v = await gate.reserve({ provider: this.providerId, credential: e.key, model, perModel: scope === 'model', minIntervalMs, maxConcurrent, windows });
      if (v.ok) {
        lease.gateToken = v.token;
        return lease;
      }
      learnRefusal(e, model, v, this.#clock.now());
      lease.release();
      if (signal.aborted) throw signal.reason;
    }
  }

  /**
   * @internal (the queue) `tried`: credentials that already failed this request; a faulted one is
   * never offered to it again, one that failed transiently only when nothing untried can serve.
   */
  pick(model: string, now: number, tried: Tried | undefined): PoolEntry | typeof WAIT | PoolExhausted {
    const n = this.entries.length;
    const { minIntervalMs, maxConcurrent, scope } = this.settings.throttle;
    const throttleKey = scope === 'model' ? model : undefined;
    const rank = this.#rank;
    const firstWins = !rank && this.settings.strategy === 'round-robin';
    let eligible: PoolEntry[] | undefined;
    let bestRank = Infinity;
    let resting: PoolEntry | undefined;
    let restingRank = Infinity;
    let again: PoolEntry | undefined;
    let againRank = Infinity;
    let wait = false;
    let throttledUntil = Infinity;
    for (let i = 0; i < n; i++) {
      const e = this.entries[(this.#cursor + i) % n];
      if (e.restUntil > now) continue; // the keyless entry, resting after its upstream refused it
      const r = e.record;
      const rk = rank ? rank(e.credential, model) : 0;
      if (rk === undefined) continue;
      const before = tried?.get(e);
      if (before === 'fault' || !r.enabled || e.peekModel(model)?.denied || e.coolingUntil(model, now)) continue;
      const cap = e.capUntil > now && (maxConcurrent === 0 || e.concurrencyCap < maxConcurrent) ? e.concurrencyCap : maxConcurrent;
      if (cap > 0 && e.inFlight >= cap) {
        wait = true;
        continue;
      }
      if (e.gateUntil > now) {
        wait = true;
        throttledUntil = Math.min(throttledUntil, e.gateUntil);
        continue;
      }
      if (minIntervalMs > 0 && now < e.lastStart(throttleKey) + minIntervalMs) {
        wait = true;
        throttledUntil = Math.min(throttledUntil, e.lastStart(throttleKey) + minIntervalMs);
        continue;
      }
      if (before !== undefined) {
        // Failed this request already: a retry takes it again only if nothing untried can serve.
        if (rk < againRank) {
          again = e;
          againRank = rk;
        }
        continue;
      }
      if (r.skipRequests > 0) {
        // Sitting out requests after a transient failure: only used if nothing else can serve.
        if (!resting || rk < restingRank || (rk === restingRank && r.skipRequests < resting.record.skipRequests)) {
          resting = e;
          restingRank = rk;
        }
        continue;
      }
      if (firstWins) return e; // the first in turn wins: no list needed
      // Of the credentials that can serve now, only those the provider prefers most compete.
      if (rk < bestRank) {
        bestRank = rk;
        eligible = [e];
      } else if (rk === bestRank) eligible!.push(e);
    }
    if (eligible) return pickByStrategy(this.settings.strategy, eligible, now, model);
    if (resting) return resting;
    if (again) return again;
    if (wait) {
      if (throttledUntil !== Infinity) this.#queue.wakeAtLeast(throttledUntil);
      return WAIT;
    }
    return this.#exhausted(model, now, tried);
  }

  /** @internal (the queue) */
  lease(e: PoolEntry, model: string): Lease {
    const now = this.#clock.now();
    this.#cursor = (e.index + 1) % this.entries.length;
    // Every served request counts down the credentials sitting out.
    let others = false;
    for (const other of this.entries) {
      if (other.record.skipRequests > 0 && other !== e) {
        other.record.skipRequests--;
        others = true;
      }
    }
    if (e.record.skipRequests > 0) e.record.skipRequests--;
    e.inFlight++;
    if (this.settings.throttle.scope === 'model') e.started(model, now);
    else e.lastStartAt = now;
    const r = e.record;
    r.requests++;
    r.lastUsedAt = now;
    const m = e.model(model);
    m.requests++;
    m.lastUsedAt = now;
    countDownQuota(r, m, now);
    // Shared state counts windows in Redis (the gate); alone, or cut off from Redis, here.
    if (this.settings.throttle.windows.length && (!this.#gate || this.#store.degraded)) this.#countWindows(e, model, now);
    this.#store.changed(this.providerId, others ? undefined : e.key);
    return new Lease(this, e, model);
  }

  /** A window filled by this request rests the credential (or its model) until the window ends. */
  #countWindows(e: PoolEntry, model: string, now: number): void {
    const target = this.settings.throttle.scope === 'model' ? e.model(model) : e.record;
    restUntilWindowEnds(target, countRequest((target.windows ??= Object.create(null) as WindowCounts), this.settings.throttle.windows, now));
  }

  #exhausted(model: string, now: number, tried: Tried | undefined): PoolExhausted {
    const own = ownError(this.providerId, this.entries, this.#missing, now);
    if (own) return new PoolExhausted(this.providerId, model, undefined, own.summary, false, own.error);
    let freeAt: number | undefined;
    let denied = 0;
    const counts = new Map<string, number>();
    const count = (why: string) => counts.set(why, (counts.get(why) ?? 0) + 1);
    let unranked = 0;
    for (const e of this.entries) {
      if (this.#rank && this.#rank(e.credential, model) === undefined) {
        unranked++;
        count(`not for model ${model}`);
        continue;
      }
      if (!e.record.enabled) {
        count(`disabled (${e.record.disabledReason ?? 'by an admin'})`);
        continue;
      }
      if (e.peekModel(model)?.denied) {
        denied++;
        count(`denied model ${model}`);
        continue;
      }
      const until = e.coolingUntil(model, now);
      if (until) {
        const m = e.peekModel(model);
        const why = (m?.cooldownUntil ?? 0) >= (e.record.cooldownUntil ?? 0) ? m?.cooldownReason : e.record.cooldownReason;
        count(why ?? 'cooling down');
        if (freeAt === undefined || until < freeAt) freeAt = until;
        continue;
      }
      if (tried?.has(e)) count('already failed this request');
    }
    const summary = [...counts].map(([why, n]) => `${n} ${why}`).join(', ');
    return new PoolExhausted(this.providerId, model, freeAt, summary, denied > 0 && denied + unranked === this.entries.length);
  }

  #finish(lease: Lease): void {
    lease.entry.inFlight--;
    if (lease.gateToken) this.#gate?.release(this.providerId, lease.entry.key, lease.gateToken);
    this.#store.changed(this.providerId, lease.entry.key);
    if (this.#queue.length) this.#queue.drain();
  }

  /** @internal via Lease */
  recordSuccess(lease: Lease, usage: TokenUsage | undefined): void {
    countSuccess(lease.entry, lease.model, usage);
    this.adaptive.succeeded(lease.model);
    this.#finish(lease);
  }

  /** @internal via Lease: count the failure and apply its cooldown rule. */
  recordFailure(lease: Lease, kind: FailureKind, detail: FailureDetail): void {
    const e = lease.entry;
    const now = this.#clock.now();
    const effect = applyFailure(e, lease.model, kind, detail, this.settings, now);
    if (this.#gate) shareCooldowns(this.#gate, this.providerId, e, lease.model, now);
    if (effect === 'rate_limited') this.adaptive.rateLimited(lease.model);
    if (effect === 'disabled') this.#log.warn({ provider: this.providerId, credential: e.id, reason: detail.message }, 'credential disabled: the upstream refused it');
    else if (effect === 'rested') this.#log.warn({ provider: this.providerId, reason: detail.message, restMs: e.restUntil - now }, 'the upstream refused a request without a credential: resting the provider');
    this.#finish(lease);
  }

  /** @internal via Lease */
  recordRelease(lease: Lease): void {
    this.#finish(lease);
  }

  /** @internal via Lease: the upstream's rate-limit headers on an answer. */
  recordQuota(lease: Lease, q: QuotaObservation): void {
    observeQuota(lease.entry, lease.model, q, this.#clock.now());
    if (q.limit !== undefined) this.adaptive.advertised(lease.model, q.limit);
  }

  /** What the upstream said of a credential's window outside any request (the refresh-all job). */
  observe(e: PoolEntry, model: string, q: QuotaObservation): void {
    observeQuota(e, model, q, this.#clock.now());
    if (q.limit !== undefined) this.adaptive.advertised(model, q.limit);
    this.#store.changed(this.providerId, e.key);
  }

  /** The credential the next round-robin request tries first; undefined when the pool has none. */
  get current(): PoolEntry | undefined {
    return this.entries.length ? this.entries[this.#cursor % this.entries.length] : undefined;
  }

  /** Configured without credentials: its one entry stands for the provider itself. */
  get keyless(): boolean {
    return this.entries.length === 1 && this.entries[0].credential === undefined;
  }

  /** Why the pool has no credentials although some were configured (the start-up warning), else undefined. */
  get missing(): string | undefined {
    return this.entries.length === 0 ? this.#missing : undefined;
  }

  /** Make the next request start at the next credential (admin). Returns the new current one. */
  rotate(): PoolEntry | undefined {
    return this.rotateTo(this.#cursor + 1);
  }

  /** Make the next request start at credential `index` (another instance rotated). */
  rotateTo(index: number): PoolEntry | undefined {
    const n = this.entries.length;
    if (n) this.#cursor = ((index % n) + n) % n;
    return this.current;
  }

  /**
   * The credentials an admin's name matches: by shown id (configured name or masked secret),
   * state key, secret, or an id as shown before ids were unique (`sk-…abcd`, which several may
   * share: the caller refuses an ambiguous name rather than pick one).
   */
  findAll(token: string): PoolEntry[] {
    const exact = this.entries.filter((x) => x.id === token);
    return exact.length ? exact : this.entries.filter((x) => names(x, token));
  }

  /** The one credential an admin's name matches, or undefined when none or several do. */
  find(token: string): PoolEntry | undefined {
    const all = this.findAll(token);
    return all.length === 1 ? all[0] : undefined;
  }

  /**
   * Start every credential afresh: counters, cooldowns, skips, denials and disabled flags
   * cleared (admin). What was learned of the upstream's limits is kept.
   */
  resetStats(): void {
    const now = this.#clock.now();
    const { windows } = this.settings.throttle;
    for (const e of this.entries) {
      resetRecord(e.record, now);
      e.gateUntil = 0;
      e.restUntil = 0;
      // Counts of request windows stay (they are the upstream's allowance): a full one still rests.
      for (const target of [e.record, ...Object.values(e.record.models)]) restUntilWindowEnds(target, fullWindow(target.windows, windows, now));
    }
    this.#store.changed(this.providerId);
    this.wake();
  }

  /** Re-enable a credential and clear its cooldowns, denials and skips (admin). */
  enable(e: PoolEntry): void {
    enableRecord(e.record);
    e.gateUntil = 0;
    e.restUntil = 0;
    this.#store.changed(this.providerId, e.key);
    this.wake();
  }

  /** Take a credential out of service until an admin enables it again. */
  disable(e: PoolEntry, reason: string): void {
    const r = e.record;
    r.enabled = false;
    r.disabledReason = reason;
    r.disabledAt = this.#clock.now();
    this.#store.changed(this.providerId, e.key);
  }

  /** Credentials may have freed (records changed by an admin, here or elsewhere): serve waiters. */
  wake(): void {
    if (this.#queue.length) this.#queue.drain();
  }

  /** The configured credentials changed (config reload): those in service follow. `missing`: see PoolInit. */
  setConfigured(credentials: readonly Credential[], missing?: string): void {
    this.#configured = credentials;
    this.#missing = missing;
    this.#rebuild();
  }

  /** An admin added or removed credentials (here or on another instance): those in service follow. */
  credentialsChanged(): void {
    this.#rebuild();
  }

  /**
   * Entries for the configured credentials with the admin's changes (a provider configured
   * without any gets one keyless entry; one whose configured credentials resolved to nothing gets
   * none). `saved`: records read from the store at start-up.
   */
  #rebuild(saved?: Record<string, unknown>): void {
    const list = effectiveCredentials(this.#configured, this.#store.data.credentials?.[this.providerId]);
    const section = this.#store.data.pools[this.providerId] as Record<string, CredentialRecord>;
    this.entries = entriesFor(list.length || this.#missing !== undefined ? list : [undefined], this.entries, section, saved);
    this.#cursor = this.entries.length ? this.#cursor % this.entries.length : 0;
    this.#store.changed(this.providerId);
    this.wake();
  }

  /** Callers waiting in the queue now. */
  get waiting(): number {
    return this.#queue.length;
  }

  /** Every credential's state and counters, safe to show (ids masked, no secrets). */
  snapshot(): CredentialView[] {
    const now = this.#clock.now();
    return this.entries.map((e) => viewOf(e, now));
  }

  /** Stop waiting: every queued caller is rejected (shutdown). */
  close(): void {
    this.#queue.close();
  }
}
