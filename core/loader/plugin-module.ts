import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
// The running server claims the core before any plugin loads: a second copy is the one refused.
import '../contract/core-instance.js';
import { shareCore } from './core-alias.js';

/** Where built-in plugins live: `plugins/<name>/index.ts` beside `core/`. */
export const BUILTIN_PLUGINS_DIR = fileURLToPath(new URL('../../plugins/', import.meta.url));

/** Switchboard's own folder of modules (core/loader/): the last place a plugin package is looked up from. */
const OWN_DIR = fileURLToPath(new URL('.', import.meta.url));

/** Names of the built-in plugins found in `dir`. */
export function builtinPluginNames(dir: string = BUILTIN_PLUGINS_DIR): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && entryFile(join(dir, d.name)))
    .map((d) => d.name)
    .sort();
}

function entryFile(folder: string): string | undefined {
  for (const name of ['index.ts', 'index.js', 'index.mjs']) {
    const f = join(folder, name);
    if (existsSync(f)) return f;
  }
  return undefined;
}

/** Under tsx or vitest the core itself is TypeScript, and `.ts` plugins import as they are. */
const RUNNING_FROM_SOURCE = import.meta.url.endsWith('.ts');
let typescript: Promise<void> | undefined;

/**
 * Load tsx's TypeScript loader for a `.ts` plugin, found beside Switchboard or in one of `dirs`.
 * The compiled build has none of its own, and loads it on first need only: the loader runs in a
 * worker thread that costs tens of MB for everyone else. Rejects with what to do when tsx is not
 * installed anywhere it looks.
 */
export async function typeScriptLoader(dirs: string[]): Promise<void> {
  const api = resolvePackage('tsx/esm/api', dirs);
  if (!api) {
    throw new Error(
      'it is TypeScript, and no TypeScript loader is installed: compile it to JavaScript (tsc) and name the .js file, ' +
        `or install tsx (npm install tsx) where Switchboard or the config file is (looked in ${dirs.join(', ')})`,
    );
  }
  const tsx = (await import(pathToFileURL(api).href)) as { register: () => unknown };
  tsx.register();
}

const looksLikePath = (spec: string) => spec.startsWith('.') || isAbsolute(spec) || /\.(m?[jt]s)$/.test(spec);

/**
 * Import a plugin named by `plugin:`: a built-in folder name, a file or folder path (relative to the
 * config file), or an installed package name, looked up from the config file's folder, then the
 * working directory, then Switchboard's own folder. Returns the module's default export, or a
 * sentence saying why it could not.
 */
export async function importPlugin(
  spec: string,
  opts: { pluginsDir: string; configDir: string; kind: 'provider' | 'extension'; cwd?: string },
): Promise<{ plugin: unknown } | { error: string }> {
  const builtins = builtinPluginNames(opts.pluginsDir);
  const cwd = opts.cwd ?? process.cwd();
  const lookIn = pluginSearchDirs(opts.configDir, cwd);
  let file: string | undefined;
  if (builtins.includes(spec)) {
    file = entryFile(join(opts.pluginsDir, spec)) as string;
  } else if (looksLikePath(spec)) {
    const abs = resolve(opts.configDir, spec);
    file = existsSync(abs) && statSync(abs).isDirectory() ? (packageEntry(abs, '') ?? entryFile(abs)) : abs;
    if (!file || !existsSync(file)) return { error: `cannot load plugin "${spec}": ${abs} does not exist` };
  } else {
    file = resolvePackage(spec, lookIn);
    if (!file) {
      const known = await builtinsOfKind(opts.pluginsDir, builtins, opts.kind);
      return { error: `unknown plugin "${spec}"; known: ${known.join(', ') || '(none)'}` };
    }
  }
  try {
    if (/\.[mc]?ts$/.test(file) && !RUNNING_FROM_SOURCE) await (typescript ??= typeScriptLoader([...new Set([OWN_DIR, resolve(opts.configDir), resolve(cwd)])]));
  } catch (err) {
    typescript = undefined;
    return { error: `plugin "${spec}" cannot load: ${(err as Error).message}` };
  }
  // A plugin from outside gets the running core for `import 'switchboard'`, never a copy of its own.
  if (!builtins.includes(spec)) shareCore();
  try {
    const mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
    return { plugin: mod.default ?? mod };
  } catch (err) {
    return { error: `plugin "${spec}" failed to load: ${(err as Error).message.split('\n')[0]}` };
  }
}

/** Where a plugin package is looked up, in order: the config file's folder, the working directory, Switchboard's own folder. */
export function pluginSearchDirs(configDir: string, cwd: string): string[] {
  return [...new Set([resolve(configDir), resolve(cwd), OWN_DIR])];
}

/** The built-ins of one kind, for the message about a typo (so only on that path do they load). */
async function builtinsOfKind(pluginsDir: string, names: string[], kind: string): Promise<string[]> {
  const kinds = await Promise.all(
    names.map(async (n) => {
      try {
        const mod = (await import(pathToFileURL(entryFile(join(pluginsDir, n)) as string).href)) as { default?: { kind?: unknown } };
        return mod.default?.kind === kind;
      } catch {
        return false;
      }
    }),
  );
  return names.filter((_, i) => kinds[i]);
}

/**
 * The file an ES module import of package `spec` (a name, a scoped name, either with a subpath)
 * would load, looked up from each of `dirs` in turn as Node does (`node_modules/<name>` in the
 * folder and each parent). Node's own resolver cannot be asked from another folder, and
 * `require.resolve` misses ESM-only packages and picks the CommonJS side of dual ones.
 */
export function resolvePackage(spec: string, dirs: string[]): string | undefined {
  const m = /^((?:@[^/]+\/)?[^/@][^/]*)(?:\/(.*))?$/.exec(spec);
  if (!m) return undefined;
  const [, name, subpath = ''] = m;
  for (const dir of dirs) {
    const folder = packageFolder(name, dir);
    if (folder) return packageEntry(folder, subpath);
  }
  return undefined;
}

function packageFolder(name: string, from: string): string | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (basename(dir) !== 'node_modules') {
      const folder = join(dir, 'node_modules', name);
      if (existsSync(join(folder, 'package.json'))) return folder;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** What `import` of the package in `folder` (with `subpath`) loads: its `exports` (import/node/default), else `main`, else index.js. */
function packageEntry(folder: string, subpath: string): string | undefined {
  let pkg: { exports?: unknown; main?: unknown };
  try {
    pkg = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as typeof pkg;
  } catch {
    return undefined;
  }
  if (pkg.exports !== undefined && pkg.exports !== null) {
    const exp = pkg.exports;
    const bySubpath = typeof exp === 'object' && !Array.isArray(exp) && Object.keys(exp).some((k) => k.startsWith('.'));
    const target = bySubpath ? (exp as Record<string, unknown>)[subpath ? `./${subpath}` : '.'] : subpath ? undefined : exp;
    const file = conditional(target);
    return file ? join(folder, file) : undefined;
  }
  if (subpath) {
    const f = join(folder, subpath);
    return existsSync(f) && statSync(f).isDirectory() ? entryFile(f) : f;
  }
  const main = typeof pkg.main === 'string' ? join(folder, pkg.main) : undefined;
  if (main && existsSync(main)) return statSync(main).isDirectory() ? entryFile(main) : main;
  return entryFile(folder) ?? join(folder, 'index.js');
}

/** The target an ES module import picks from an `exports` value: the first of import, node, default. */
function conditional(target: unknown): string | undefined {
  if (typeof target === 'string') return target;
  if (Array.isArray(target)) {
    for (const t of target) {
      const f = conditional(t);
      if (f) return f;
    }
    return undefined;
  }
  if (target && typeof target === 'object') {
    for (const [condition, value] of Object.entries(target)) {
      if (condition === 'import' || condition === 'node' || condition === 'default') {
        const f = conditional(value);
        if (f) return f;
      }
    }
  }
  return undefined;
}
