import type { TokenUsage } from '../canonical/usage.js';
import type { Credential, FailureKind, Logger } from '../contract/provider.js';
import type { Clock } from '../state/clock.js';
import type { SharedGate } from '../state/gate.js';
import type { StateStore } from '../state/store.js';
import type { CallSignal } from '../contract/call-signal.js';
import type { QuotaObservation } from '../contract/provider.js';
import { openAdaptive, type AdaptiveRpm } from './adaptive-rpm.js';
import { exhaustedFor, type PoolExhausted } from './exhausted.js';
import { learnRefusal, shareCooldowns } from './gate.js';
import { Lease, type FailureDetail, type LeaseOwner } from './lease.js';
import { startRequest } from './leasing.js';
import { disableEntry, enableEntry, Membership, resetEntry } from './membership.js';
import { applyFailure, countSuccess, observeQuota } from './outcomes.js';
import { PoolEntry } from './pool-entry.js';
import { select, type Rank } from './selector.js';
import type { PoolSettings } from './settings.js';
import { viewOf, type CredentialView } from './snapshot.js';
import type { Tried } from './tried.js';
import { WAIT, WaitQueue } from './wait-queue.js';

export type { CredentialView } from './snapshot.js';

export interface PoolInit {
  providerId: string;
  /** The provider's preference per model (see Provider.rankCredential); absent: all alike. */
  rank?: Rank;
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
 * or busy credential queue in arrival order. A façade: who is in the pool is `Membership`,
 * which one serves is `select`, what a start and an outcome do to a record is leasing.ts
 * and outcomes.ts; this class holds them together with the cursor, the queue and the store.
 */
export class CredentialPool implements LeaseOwner {
  readonly providerId: string;
  settings: PoolSettings;
  /** Per-model requests-per-minute estimate, learned from 429s. */
  readonly adaptive: AdaptiveRpm;
  #clock: Clock;
  #rank: Rank | undefined;
  #store: StateStore;
  #gate: SharedGate | undefined;
  #log: Logger;
  #cursor = 0;
  readonly #members: Membership;
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
    this.#members = new Membership(init.providerId, init.store, init.credentials, init.missing);
    this.adaptive = openAdaptive(init.store.data, init.providerId, init.clock);
  }

  /** In pool order; replaced (not mutated) when credentials are added or removed. */
  get entries(): readonly PoolEntry[] {
    return this.#members.entries;
  }

  /**
   * Lease a credential for `model`: at once when one may serve (the usual case, no promise), after
   * a wait in the queue when all that could serve are throttled or busy. Throws
   * `PoolExhausted` when none can serve and none will soon, and a 429/503 GatewayError when
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
   * @internal (the queue) The selector's choice (see `select`); when it is to wait for a
   * throttle, the queue wakes when the nearest one ends.
   */
  pick(model: string, now: number, tried: Tried | undefined): PoolEntry | typeof WAIT | PoolExhausted {
    const entries = this.#members.entries;
    const s = select(entries, this.#cursor, model, now, tried, this.settings, this.#rank);
    if (typeof s === 'object') return s;
    if (s === undefined) return exhaustedFor(this.providerId, entries, this.#members.missing, model, now, tried, this.#rank);
    if (s !== Infinity) this.#queue.wakeAtLeast(s);
    return WAIT;
  }

  /** @internal (the queue) */
  lease(e: PoolEntry, model: string): Lease {
    const now = this.#clock.now();
    const { entries } = this.#members;
    this.#cursor = (e.index + 1) % entries.length;
    const t = this.settings.throttle;
    // Shared state counts windows in Redis (the gate); alone, or cut off from Redis, here.
    const others = startRequest(entries, e, model, now, t, t.windows.length > 0 && (!this.#gate || this.#store.degraded === true));
    this.#store.changed(this.providerId, others ? undefined : e.key);
    return new Lease(this, e, model);
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
    const { entries } = this.#members;
    return entries.length ? entries[this.#cursor % entries.length] : undefined;
  }

  /** Configured without credentials: its one entry stands for the provider itself. */
  get keyless(): boolean {
    return this.#members.keyless;
  }

  /** Why the pool has no credentials although some were configured (the start-up warning), else undefined. */
  get missing(): string | undefined {
    return this.#members.missing;
  }

  /** Make the next request start at the next credential (admin). Returns the new current one. */
  rotate(): PoolEntry | undefined {
    return this.rotateTo(this.#cursor + 1);
  }

  /** Make the next request start at credential `index` (another instance rotated). */
  rotateTo(index: number): PoolEntry | undefined {
    const n = this.#members.entries.length;
    if (n) this.#cursor = ((index % n) + n) % n;
    return this.current;
  }

  /** The credentials an admin's name matches (see `Membership.findAll`). */
  findAll(token: string): PoolEntry[] {
    return this.#members.findAll(token);
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
    for (const e of this.#members.entries) resetEntry(e, this.settings.throttle.windows, now);
    this.#store.changed(this.providerId);
    this.wake();
  }

  /** Re-enable a credential and clear its cooldowns, denials and skips (admin). */
  enable(e: PoolEntry): void {
    enableEntry(e);
    this.#store.changed(this.providerId, e.key);
    this.wake();
  }

  /** Take a credential out of service until an admin enables it again. */
  disable(e: PoolEntry, reason: string): void {
    disableEntry(e, reason, this.#clock.now());
    this.#store.changed(this.providerId, e.key);
  }

  /** Credentials may have freed (records changed by an admin, here or elsewhere): serve waiters. */
  wake(): void {
    if (this.#queue.length) this.#queue.drain();
  }

  /** The configured credentials changed (config reload): those in service follow. `missing`: see PoolInit. */
  setConfigured(credentials: readonly Credential[], missing?: string): void {
    this.#members.configure(credentials, missing);
    this.#rebuild();
  }

  /** An admin added or removed credentials (here or on another instance): those in service follow. */
  credentialsChanged(): void {
    this.#rebuild();
  }

  #rebuild(): void {
    this.#members.rebuild();
    const n = this.#members.entries.length;
    this.#cursor = n ? this.#cursor % n : 0;
    this.wake();
  }

  /** Callers waiting in the queue now. */
  get waiting(): number {
    return this.#queue.length;
  }

  /** Every credential's state and counters, safe to show (ids masked, no secrets). */
  snapshot(): CredentialView[] {
    const now = this.#clock.now();
    return this.#members.entries.map((e) => viewOf(e, now));
  }

  /** Stop waiting: every queued caller is rejected (shutdown). */
  close(): void {
    this.#queue.close();
  }
}
