import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
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
 * The config.yaml Switchboard ships, at the package's root: one folder up from the sources
 * (`core/`), two from the build (`dist/core/`). The CLI falls back to it when no config is named
 * and the working directory has none.
 */
export const BUNDLED_CONFIG = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../config.yaml' : '../../config.yaml', import.meta.url));

/**
 * Everything start-up checks before serving: the config, every plugin it names and each plugin's
 * options. All problems are reported together (a StartupError, one line each).
 *
 * Relative paths in the bundled config resolve against the working directory (`cwd`), not the
 * package's folder: an installed package may be read-only, and a reinstall wipes it. Plugin
 * packages are looked up from the config file's folder, then the working directory.
 */
export async function prepare(source: ConfigSource, options: PrepareOptions & { cwd?: string } = {}): Promise<Prepared> {
  const cwd = options.cwd ?? process.cwd();
  const draft =
    'file' in source
      ? readConfigFile(source.file, { ...options, ...(resolve(source.file) === BUNDLED_CONFIG ? { dir: resolve(cwd) } : {}) })
      : readConfigObject(source.raw, { ...options, dir: source.dir });
  const plugins = await resolvePlugins(draft, options.pluginsDir ?? BUILTIN_PLUGINS_DIR, cwd, options.plugins);
  return { config: assertNoProblems(draft), plugins };
}
