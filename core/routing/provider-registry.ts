import type { FailureKind, Logger, Provider, ProviderPlugin, UpstreamFailure } from '../contract/provider.js';
import type { ProviderConfig } from '../config/types.js';
import { StartupError } from '../errors/gateway-error.js';
import { instanceProblems } from '../loader/contract-check.js';
import { classifyHttpFailure } from '../upstream/classify.js';
import { CredentialRing } from '../dispatch/credentials.js';

/** A running provider and what the core keeps beside it. */
export interface ProviderHandle {
  readonly id: string;
  readonly config: ProviderConfig;
  readonly plugin: ProviderPlugin;
  readonly instance: Provider;
  readonly credentials: CredentialRing;
  /** Every secret of this provider, for scrubbing upstream text. */
  readonly secrets: readonly string[];
  readonly log: Logger;
  classify(failure: UpstreamFailure): FailureKind;
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
    await Promise.allSettled(this.handles.map((h) => h.instance.close?.()));
  }
}

/** Run each plugin's `create` and check what it returns. */
export async function createProviders(
  list: readonly { config: ProviderConfig; plugin: ProviderPlugin }[],
  log: Logger,
  configDir: string,
): Promise<ProviderRegistry> {
  const handles: ProviderHandle[] = [];
  for (const { config, plugin } of list) {
    const plog = log.child({ provider: config.id });
    const credentials = new CredentialRing(config.credentials);
    let instance: Provider;
    try {
      instance = await plugin.create({
        id: config.id,
        options: config.options,
        credentials: credentials.list,
        configDir,
        log: plog,
      });
    } catch (err) {
      throw new StartupError('SWB_ERR_PLUGIN_LOAD', `providers[${config.index}] ("${config.id}"): plugin "${config.plugin}" failed to start: ${(err as Error).message}`);
    }
    const why = instanceProblems(instance);
    if (why.length) {
      throw new StartupError('SWB_ERR_PLUGIN_CONTRACT', `providers[${config.index}] ("${config.id}"): plugin "${config.plugin}" broke its contract:`, why);
    }
    const own = instance.classify?.bind(instance);
    handles.push({
      id: config.id,
      config,
      plugin,
      instance,
      credentials,
      secrets: config.credentials.map((c) => c.secret),
      log: plog,
      classify: own ? (f) => own(f) ?? classifyHttpFailure(f) : classifyHttpFailure,
    });
  }
  return new ProviderRegistry(handles);
}
