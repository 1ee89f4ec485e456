import type { FailureVerdict, Logger, Provider, ProviderPlugin, Timeouts, UpstreamFailure } from '../contract/provider.js';
import type { ProviderConfig } from '../config/types.js';
import type { CredentialPool } from '../pool/credential-pool.js';
import type { ProviderPolicies } from '../resilience/policies.js';

/** A running provider and what the core keeps beside it. */
export interface ProviderHandle {
  readonly id: string;
  readonly config: ProviderConfig;
  readonly plugin: ProviderPlugin;
  readonly instance: Provider;
  /** First-byte, idle and total timeouts: the core's, under the plugin's defaults, under the config's. */
  readonly timeouts: Timeouts;
  readonly pool: CredentialPool;
  readonly policies: ProviderPolicies;
  /** Every secret of this provider, for scrubbing upstream text. */
  readonly secrets: readonly string[];
  readonly log: Logger;
  /** The provider's verdict on a failure, falling back to the HTTP-status default. */
  classify(failure: UpstreamFailure): FailureVerdict;
}

/** The enabled providers, in config order. */
export class ProviderRegistry {
  readonly #byId = new Map<string, ProviderHandle>();

  constructor(readonly handles: readonly ProviderHandle[]) {
    for (const h of handles) this.#byId.set(h.id, h);
  }

  get(id: string): ProviderHandle | undefined {
    return this.#byId.get(id);
  }

  async close(): Promise<void> {
    for (const h of this.handles) h.pool.close();
    await Promise.allSettled(this.handles.map((h) => h.instance.close?.()));
  }
}
