import type { FailureKind, FailureVerdict, Logger, Provider, ProviderPlugin } from '../contract/provider.js';
import type { ImageFiles } from '../files/image-files.js';
import type { ProviderConfig } from '../config/types.js';
import { StartupError } from '../errors/gateway-error.js';
import { instanceProblems } from '../loader/contract-check.js';
import { classifyHttpFailure } from '../upstream/classify.js';
import { toCredential } from '../pool/credentials.js';
import { ProviderPolicies } from '../resilience/policies.js';
import { CredentialPool } from '../pool/credential-pool.js';
import type { Clock } from '../state/clock.js';
import type { StateStore } from '../state/store.js';
import { ProviderRegistry, type ProviderHandle } from './registry.js';
import { effectiveSettings, withInstancePool } from './settings.js';

/** What the core hands every provider it starts. */
export interface ProviderEnvironment {
  log: Logger;
  configDir: string;
  store: StateStore;
  clock: Clock;
  images: ImageFiles;
}

/**
 * Assemble the configured providers: run each plugin's `create`, check what it returns against the
 * contract, and put its credential pool, policies and effective settings beside it.
 */
export async function createProviders(list: readonly { config: ProviderConfig; plugin: ProviderPlugin }[], env: ProviderEnvironment): Promise<ProviderRegistry> {
  const { log, configDir } = env;
  const handles: ProviderHandle[] = [];
  for (const { config, plugin } of list) {
    const plog = log.child({ provider: config.id });
    const credentials = config.credentials.map(toCredential);
    let instance: Provider;
    try {
      instance = await plugin.create({
        id: config.id,
        options: config.options,
        credentials,
        configDir,
        log: plog,
        images: { open: (opts) => env.images.open(opts) },
      });
    } catch (err) {
      throw new StartupError('SWB_ERR_PLUGIN_LOAD', `providers[${config.index}] ("${config.id}"): plugin "${config.plugin}" failed to start: ${(err as Error).message}`);
    }
    const why = instanceProblems(instance);
    if (why.length) {
      throw new StartupError('SWB_ERR_PLUGIN_CONTRACT', `providers[${config.index}] ("${config.id}"): plugin "${config.plugin}" broke its contract:`, why);
    }
    const own = instance.classify?.bind(instance);
    const settings = effectiveSettings(config.sections, plugin.defaults);
    // Configured credentials that resolved to nothing: said once here, then by /readyz and every request routed to it.
    if (config.credentialsMissing) plog.warn(config.credentialsMissing);
    const pool = new CredentialPool({
      providerId: config.id,
      credentials,
      missing: config.credentialsMissing,
      settings: withInstancePool(settings.pool, instance),
      clock: env.clock,
      store: env.store,
      log: plog,
      rank: instance.rankCredential?.bind(instance),
    });
    handles.push({
      id: config.id,
      config,
      timeouts: settings.timeouts,
      plugin,
      instance,
      pool,
      policies: new ProviderPolicies(settings.resilience),
      // Those in service now: an admin may add some at run time.
      get secrets() {
        return pool.entries.flatMap((e) => (e.credential ? [e.credential.secret] : []));
      },
      log: plog,
      classify: own ? (f) => verdict(own(f) ?? classifyHttpFailure(f)) : (f) => verdict(classifyHttpFailure(f)),
    });
  }
  return new ProviderRegistry(handles);
}

function verdict(v: FailureKind | FailureVerdict): FailureVerdict {
  return typeof v === 'string' ? { kind: v } : v;
}
