import type { ExtensionPlugin } from '../contract/extension.js';
import type { JsonSchema, ProviderPlugin } from '../contract/provider.js';
import type { ConfigDraft } from '../config/load.js';
import { providerCoreProperties } from '../config/schema.js';
import type { ExtensionConfig, ProviderConfig } from '../config/types.js';
import { validateInto } from '../config/validate.js';
import { contractProblems } from './contract-check.js';
import { importPlugin } from './plugin-module.js';

export interface ResolvedPlugins {
  providers: { config: ProviderConfig; plugin: ProviderPlugin }[];
  extensions: { config: ExtensionConfig; plugin: ExtensionPlugin }[];
}

/**
 * Plugin objects already in memory, by the name a config's `plugin:` (or `plugins:` key) uses
 * for them: the conformance kit starts the plugin under test so, without a file to import. They
 * take precedence over built-ins and packages of that name, and are checked like imported ones.
 */
export type InMemoryPlugins = Readonly<Record<string, unknown>>;

/**
 * Import every plugin the config names, check its contract and validate its options, adding
 * each problem to the draft at its YAML path. Disabled providers are checked too. Plugin packages
 * are looked up from the config's folder, then `cwd`, then Switchboard's own folder.
 */
export async function resolvePlugins(draft: ConfigDraft, pluginsDir: string, cwd: string = process.cwd(), inMemory: InMemoryPlugins = {}): Promise<ResolvedPlugins> {
  const { config, problems } = draft;
  const out: ResolvedPlugins = { providers: [], extensions: [] };
  const cache = new Map<string, Promise<{ plugin: unknown } | { error: string }>>();
  const load = (spec: string, kind: 'provider' | 'extension') => {
    if (Object.hasOwn(inMemory, spec)) return Promise.resolve({ plugin: inMemory[spec] });
    let p = cache.get(`${kind}:${spec}`);
    if (!p) cache.set(`${kind}:${spec}`, (p = importPlugin(spec, { pluginsDir, configDir: config.dir, kind, cwd })));
    return p;
  };

  for (const pc of config.providers) {
    if (!pc.plugin) continue; // schema already said it is required
    const at = ['providers', pc.index];
    const loaded = await load(pc.plugin, 'provider');
    if ('error' in loaded) {
      problems.add([...at, 'plugin'], loaded.error);
      continue;
    }
    const why = contractProblems(loaded.plugin, 'provider');
    if (why.length) {
      for (const w of why) problems.add([...at, 'plugin'], `plugin "${pc.plugin}" ${w}`);
      continue;
    }
    const plugin = loaded.plugin as ProviderPlugin;
    if (validateInto(providerOptionsSchema(plugin), pc.options, at, problems) && pc.enabled) {
      out.providers.push({ config: pc, plugin });
    }
  }

  for (const ec of config.plugins) {
    const at = ['plugins', ec.name];
    const loaded = await load(ec.name, 'extension');
    if ('error' in loaded) {
      problems.add(at, loaded.error);
      continue;
    }
    const why = contractProblems(loaded.plugin, 'extension');
    if (why.length) {
      for (const w of why) problems.add(at, `plugin "${ec.name}" ${w}`);
      continue;
    }
    const plugin = loaded.plugin as ExtensionPlugin;
    if (!plugin.optionsSchema || validateInto(plugin.optionsSchema, ec.options, at, problems)) {
      out.extensions.push({ config: ec, plugin });
    }
  }
  return out;
}

const combined = new WeakMap<object, JsonSchema>();

/** The plugin's schema, with the core's provider keys known so typos list every valid key. */
function providerOptionsSchema(plugin: ProviderPlugin): JsonSchema {
  let schema = combined.get(plugin);
  if (!schema) {
    const own = plugin.optionsSchema;
    const core = Object.fromEntries(Object.keys(providerCoreProperties).map((k) => [k, {}]));
    schema = {
      ...own,
      properties: { ...core, ...((own.properties as object) ?? {}) },
      additionalProperties: own.additionalProperties ?? false,
    };
    combined.set(plugin, schema);
  }
  return schema;
}
