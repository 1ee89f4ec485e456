import type { Config } from '../config/types.js';
import type { Logger } from '../contract/provider.js';
import { GatewayError, StartupError } from '../errors/gateway-error.js';
import { credentialKey } from '../pool/credential-changes.js';
import { learnCooldown } from '../pool/gate.js';
import type { PoolEntry } from '../pool/pool-entry.js';
import { planReload } from './config-reload.js';
import { testCredential, type CredentialTestResult } from './credential-test.js';
import type { ProviderHandle, ProviderRegistry } from '../providers/registry.js';
import type { ClusterEvent } from '../state/events.js';
import type { StateStore } from '../state/store.js';

/** What a reload did: config paths applied, and those that need a restart to take effect. */
export interface ReloadResult {
  applied: string[];
  restartNeeded: string[];
}

/** A credential as an admin adds it: the secret, a name to show instead of its masked form, a tier (grok-web: basic, super, heavy). */
export interface NewCredential {
  secret: string;
  name?: string;
  tier?: string;
}

/**
 * What an admin can do to a provider's pool and breakers, and a config reload, done so that it
 * holds on every instance sharing the state (state.driver: redis): the change is written to the shared state
 * first, then the other instances are told to read it (within milliseconds; the periodic sync
 * is the fallback if a message is lost). Alone, an instance just does it. Also passes this
 * instance's breaker openings on, and takes in the others'.
 */
export class AdminActions {
  #config: Config;

  constructor(
    private readonly providers: ProviderRegistry,
    private readonly store: StateStore,
    private readonly log: Logger,
    config: Config,
    /** Read the config file again (undefined when the config was not read from a file). */
    private readonly reread: (() => Promise<Config>) | undefined,
  ) {
    this.#config = config;
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

  /**
   * A minimal real call with one credential on `model` (the provider's first listed model when
   * not given); its outcome counts for the pool like any call's.
   */
  async testCredential(h: ProviderHandle, e: PoolEntry, model?: string): Promise<CredentialTestResult> {
    let target = model;
    if (!target) {
      const listed = await Promise.resolve(h.instance.listModels()).catch(() => []);
      target = listed[0]?.id ?? h.config.models?.[0]?.id ?? 'default';
    }
    return testCredential(h, e, target);
  }

  /** The next request starts at the next credential, on every instance (undefined: the pool has none). */
  rotate(h: ProviderHandle): PoolEntry | undefined {
    const e = h.pool.rotate();
    if (e) this.store.events?.publish({ type: 'rotate', provider: h.id, credential: e.key });
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

  /**
   * Put credentials in service, on every instance and across restarts (kept in the state store).
   * Returns what was added and the ids of those already in the pool (by key or secret).
   */
  async addCredentials(h: ProviderHandle, list: readonly NewCredential[]): Promise<{ added: PoolEntry[]; present: string[] }> {
    const changes = this.#changes(h);
    const present: string[] = [];
    const keys: string[] = [];
    for (const c of list) {
      const key = credentialKey(c);
      const there = h.pool.entries.find((e) => e.key === key || e.credential?.secret === c.secret);
      if (there || keys.includes(key)) {
        present.push(there?.id ?? key);
        continue;
      }
      changes[key] = { secret: c.secret, ...(c.name ? { name: c.name } : {}), ...(c.tier ? { tier: c.tier } : {}), at: Date.now() };
      keys.push(key);
    }
    if (keys.length) {
      h.pool.credentialsChanged();
      await this.#share({ type: 'changed', provider: h.id });
    }
    return { added: h.pool.entries.filter((e) => keys.includes(e.key)), present };
  }

  /** The config as last read (parts of it may wait for a restart: see {@link reload}). */
  get config(): Config {
    return this.#config;
  }

  /** Take credentials out of the pool for good (configured ones too: the removal is remembered). */
  async removeCredentials(h: ProviderHandle, entries: readonly PoolEntry[]): Promise<void> {
    if (h.pool.entries.every((e) => entries.includes(e))) {
      throw new GatewayError('SWB_ERR_INVALID_VALUE', `That would leave provider "${h.id}" without credentials; disable them instead (POST /v1/tokens/disable).`, { param: 'tokens' });
    }
    const changes = this.#changes(h);
    for (const e of entries) changes[e.key] = { removed: true, at: Date.now() };
    h.pool.credentialsChanged();
    await this.#share({ type: 'changed', provider: h.id });
  }

  /**
   * Read the config file again and apply what can change live (credentials and pool settings of
   * each provider); the rest is reported as needing a restart. With shared state, every instance
   * reloads its own file.
   */
  async reload(tellOthers = true): Promise<ReloadResult> {
    if (!this.reread) throw new GatewayError('SWB_ERR_INVALID_VALUE', 'This Switchboard was not started from a config file: there is nothing to reload.', { status: 409, code: 'no_config_file' });
    let next: Config;
    try {
      next = await this.reread();
    } catch (err) {
      // An unreadable or invalid file changes nothing: the running config stays.
      if (!(err instanceof StartupError)) throw err;
      throw new GatewayError('SWB_ERR_INVALID_VALUE', `The config file was not reloaded, nothing changed: ${err.oneLine()}`, { status: 422, code: 'config_invalid', param: null });
    }
    const plan = planReload(this.#config, next, this.providers);
    plan.apply();
    this.#config = next;
    this.log.info({ applied: plan.applied, restartNeeded: plan.restartNeeded }, 'config reloaded');
    if (tellOthers) this.store.events?.publish({ type: 'reload' });
    return { applied: plan.applied, restartNeeded: plan.restartNeeded };
  }

  #changes(h: ProviderHandle) {
    const all = (this.store.data.credentials ??= {});
    return (all[h.id] ??= Object.create(null) as Record<string, never>);
  }

  /** Write the change where every instance reads it, then tell them to read it now. */
  async #share(event: ClusterEvent): Promise<void> {
    await this.store.flush();
    this.store.events?.publish(event);
  }

  async #heard(e: ClusterEvent): Promise<void> {
    if (e.type === 'reload') {
      await this.reload(false).catch((err: Error) => this.log.error({ err: err.message }, 'config reload asked by another instance failed: keeping the running config'));
      return;
    }
    const h = this.providers.get(e.provider);
    if (!h) return; // a provider this instance does not run (configs differ): nothing to do
    switch (e.type) {
      case 'rotate': {
        const entry = h.pool.entries.find((x) => x.key === e.credential);
        if (entry) h.pool.rotateTo(entry.index);
        return;
      }
      case 'breaker':
        if (e.openMs > 0) h.policies.holdOpen(e.model, e.openMs);
        else h.policies.releaseHold(e.model);
        return;
      case 'reset':
        h.policies.reset();
        for (const entry of h.pool.entries) entry.gateUntil = 0;
        break;
      case 'credentials':
        h.pool.credentialsChanged();
        return;
      case 'cooled': {
        const entry = h.pool.entries.find((x) => x.key === e.credential);
        if (entry) learnCooldown(entry, e.model, e.ms, e.reason, Date.now());
        return;
      }
      case 'changed':
        break;
    }
    await this.store.refresh?.();
    h.pool.wake();
  }
}
