import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Where built-in plugins live: `plugins/<name>/index.ts` beside `core/`. */
export const BUILTIN_PLUGINS_DIR = fileURLToPath(new URL('../../plugins/', import.meta.url));

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
 * The compiled build (`npm start`) has no TypeScript loader; a `.ts` plugin brings in tsx's, on
 * first need only: the loader runs in a worker thread that costs tens of MB for everyone else.
 */
function enableTypeScript(): Promise<void> {
  return (typescript ??= import('tsx/esm/api').then((tsx) => {
    tsx.register();
  }));
}

const looksLikePath = (spec: string) => spec.startsWith('.') || isAbsolute(spec) || /\.(m?[jt]s)$/.test(spec);

/**
 * Import a plugin named by `plugin:`: a built-in folder name, a file or folder path (relative to the
 * config file), or an installed package name. Returns the module's default export, or a sentence
 * saying why it could not.
 */
export async function importPlugin(
  spec: string,
  opts: { pluginsDir: string; configDir: string; kind: 'provider' | 'extension' },
): Promise<{ plugin: unknown } | { error: string }> {
  const builtins = builtinPluginNames(opts.pluginsDir);
  let target: string;
  if (builtins.includes(spec)) {
    target = pathToFileURL(entryFile(join(opts.pluginsDir, spec)) as string).href;
  } else if (looksLikePath(spec)) {
    const abs = resolve(opts.configDir, spec);
    const file = existsSync(abs) && !abs.match(/\.(m?[jt]s)$/) ? entryFile(abs) : abs;
    if (!file || !existsSync(file)) return { error: `cannot load plugin "${spec}": ${abs} does not exist` };
    target = pathToFileURL(file).href;
  } else {
    const found = resolvePackage(spec, opts.configDir);
    if (!found) {
      const known = await builtinsOfKind(opts.pluginsDir, builtins, opts.kind);
      return { error: `unknown plugin "${spec}"; known: ${known.join(', ') || '(none)'}` };
    }
    target = found;
  }
  try {
    if (/\.[mc]?ts$/.test(target) && !RUNNING_FROM_SOURCE) await enableTypeScript();
    const mod = (await import(target)) as { default?: unknown };
    return { plugin: mod.default ?? mod };
  } catch (err) {
    return { error: `plugin "${spec}" failed to load: ${(err as Error).message.split('\n')[0]}` };
  }
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

/** A package installed beside the config file or beside Switchboard itself. */
function resolvePackage(spec: string, configDir: string): string | undefined {
  for (const base of [join(configDir, 'noop.js'), fileURLToPath(import.meta.url)]) {
    try {
      return pathToFileURL(createRequire(base).resolve(spec)).href;
    } catch {
      // ESM-only packages do not resolve through require(); let import() try by name.
    }
  }
  try {
    import.meta.resolve(spec);
    return spec;
  } catch {
    return undefined;
  }
}
