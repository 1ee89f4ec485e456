import { assertNoProblems, readConfigFile, readConfigObject, type LoadOptions } from './config/load.js';
import type { Config } from './config/types.js';
import { BUILTIN_PLUGINS_DIR } from './loader/plugin-module.js';
import { resolvePlugins, type InMemoryPlugins, type ResolvedPlugins } from './loader/resolve-plugins.js';

export interface Prepared {
  config: Config;
  plugins: ResolvedPlugins;
}

export type ConfigSource = { file: string } | { raw: unknown; dir: string };

export interface PrepareOptions extends LoadOptions {
  pluginsDir?: string;
  /** Plugin objects by name, used instead of importing a module of that name (the testing kit's seam). */
  plugins?: InMemoryPlugins;
}

/**
 * Everything start-up checks before serving: the config, every plugin it names and each plugin's
 * options. All problems are reported together (a StartupError, one line each).
 */
export async function prepare(source: ConfigSource, options: PrepareOptions = {}): Promise<Prepared> {
  const draft = 'file' in source ? readConfigFile(source.file, options) : readConfigObject(source.raw, { ...options, dir: source.dir });
  const plugins = await resolvePlugins(draft, options.pluginsDir ?? BUILTIN_PLUGINS_DIR, options.plugins);
  return { config: assertNoProblems(draft), plugins };
}
