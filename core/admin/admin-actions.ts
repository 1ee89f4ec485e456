import type { Logger } from '../contract/provider.js';
import type { PoolEntry } from '../pool/pool-entry.js';
import type { ProviderHandle, ProviderRegistry } from '../routing/provider-registry.js';
import type { ClusterEvent } from '../state/events.js';
import type { StateStore } from '../state/store.js';

/**
 * What an admin can do to a provider's pool and breakers, done so that it holds on every
 * instance sharing the state (state.driver: redis): the change is written to the shared state
 * first, then the other instances are told to read it (within milliseconds; the periodic sync
 * is the fallback if a message is lost). Alone, an instance just does it. Also passes this
 * instance's breaker openings on, and takes in the others'.
 */
export class AdminActions {
  constructor(
    private readonly providers: ProviderRegistry,
    private readonly store: StateStore,
    private readonly log: Logger,
  ) {
    const events = store.events;
    if (!events) return;
    events.subscribe((e) => void this.#heard(e));
    for (const h of providers.handles) {
      h.policies.onOwnChange = (model, openMs) => {
        events.saveBreaker(h.id, model, openMs);
        events.publish({ type: 'breaker', provider: h.id, model, openMs });
      };
    }
  }

  /** Hold open the breakers other instances have open (start-up). */
  async start(): Promise<void> {
    const events = this.store.events;
    if (!events) return;
    for (const h of this.providers.handles) for (const [model, ms] of Object.entries(await events.openBreakers(h.id))) h.policies.holdOpen(model, ms);
  }

  /** The next request starts at the next credential, on every instance. */
  rotate(h: ProviderHandle): PoolEntry {
    const e = h.pool.rotate();
    this.store.events?.publish({ type: 'rotate', provider: h.id, index: e.index });
    return e;
  }

  /** Counters, cooldowns, skips, denials and disabled flags cleared, breakers closed: everywhere. */
  async reset(h: ProviderHandle): Promise<void> {
    const models = h.pool.entries.map((e) => Object.keys(e.record.models));
    h.pool.resetStats();
    h.policies.reset();
    this.store.events?.clearBreakers(h.id);
    h.pool.entries.forEach((e, i) => this.store.gate?.clear(h.id, e.key, models[i]));
    await this.#share({ type: 'reset', provider: h.id });
  }

  /** Back in service, cooldowns cleared. */
  async enable(h: ProviderHandle, e: PoolEntry): Promise<void> {
    const models = Object.keys(e.record.models);
    h.pool.enable(e);
    this.store.gate?.clear(h.id, e.key, models);
    await this.#share({ type: 'changed', provider: h.id });
  }

  /** Out of service until enabled again. */
  async disable(h: ProviderHandle, e: PoolEntry, reason: string): Promise<void> {
    h.pool.disable(e, reason);
    this.log.warn({ provider: h.id, credential: e.id, reason }, 'credential disabled by an admin');
    await this.#share({ type: 'changed', provider: h.id });
  }

  /** Write the change where every instance reads it, then tell them to read it now. */
  async #share(event: ClusterEvent): Promise<void> {
    await this.store.flush();
    this.store.events?.publish(event);
  }

  async #heard(e: ClusterEvent): Promise<void> {
    const h = this.providers.get(e.provider);
    if (!h) return; // a provider this instance does not run (configs differ): nothing to do
    switch (e.type) {
      case 'rotate':
        h.pool.rotateTo(e.index);
        return;
      case 'breaker':
        if (e.openMs > 0) h.policies.holdOpen(e.model, e.openMs);
        else h.policies.releaseHold(e.model);
        return;
      case 'reset':
        h.policies.reset();
        for (const entry of h.pool.entries) entry.gateUntil = 0;
        break;
      case 'changed':
        break;
    }
    await this.store.refresh?.();
    h.pool.wake();
  }
}
