import { existsSync, readFileSync } from 'node:fs';
import module from 'node:module';

/**
 * One core per process: a plugin's `import 'switchboard'` (or `switchboard/testing`,
 * `switchboard/package.json`) reaches the very modules the running server uses, wherever the
 * plugin lives and whatever copy of switchboard its own node_modules holds. The core compares
 * its classes by identity (`instanceof UpstreamError`), so a second copy would misclassify every
 * failure in silence (core/contract/core-instance.ts refuses one if it is evaluated anyway).
 *
 * Done by a module resolve hook, installed before the first plugin that is not built in loads:
 * in-thread with `module.registerHooks` (Node 22.15, 23.5 and later), else with `module.register`
 * (Node 20, hooks on a loader thread). Under vitest the module runner resolves plugins' imports
 * and the aliases in vitest.config.ts do this instead.
 */

/** `.ts` when the core runs from its sources (tsx, vitest), `.js` in the build. */
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

export interface CoreAliases {
  /** The specifiers a plugin imports the core by, and the running core's file for each. */
  specifiers: Record<string, string>;
  /**
   * Resolved files that are the core's entry points in another form, and the running core's
   * file for each: run from the build, a TypeScript plugin in the checkout that imports
   * `../../core/index.js` (as the built-ins do) resolves to core/index.ts under tsx, and is given
   * dist/core/index.js instead.
   */
  files: Record<string, string>;
}

export function coreAliases(): CoreAliases {
  const index = new URL(`../index${ext}`, import.meta.url).href;
  const testing = new URL(`../testing/index${ext}`, import.meta.url).href;
  const specifiers: Record<string, string> = { switchboard: index, 'switchboard/testing': testing };
  const files: Record<string, string> = {};
  // core/loader/ in the sources, dist/core/loader/ in the build.
  for (const rel of ['../../', '../../../']) {
    const root = new URL(rel, import.meta.url);
    try {
      const pkg = new URL('package.json', root);
      if (!existsSync(pkg) || (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name !== 'switchboard') continue;
      specifiers['switchboard/package.json'] = pkg.href;
      if (ext === '.js') {
        for (const e of ['.ts', '.js']) {
          files[new URL(`core/index${e}`, root).href] = index;
          files[new URL(`core/testing/index${e}`, root).href] = testing;
        }
      }
      break;
    } catch {
      // not ours: try the next level
    }
  }
  return { specifiers, files };
}

/** The resolve hook for `module.register`, which runs on the loader thread and needs a module of its own. */
const HOOKS_MODULE = `let aliases = { specifiers: {}, files: {} };
export function initialize(data) { aliases = data; }
export async function resolve(specifier, context, next) {
  if (Object.hasOwn(aliases.specifiers, specifier)) return { url: aliases.specifiers[specifier], shortCircuit: true };
  const found = await next(specifier, context);
  return Object.hasOwn(aliases.files, found.url) ? { url: aliases.files[found.url], shortCircuit: true } : found;
}`;

type ResolveResult = { url: string; shortCircuit?: boolean; format?: string | null };
type SyncHooks = {
  resolve(specifier: string, context: unknown, next: (specifier: string, context?: unknown) => ResolveResult): ResolveResult;
};

let installed: 'registerHooks' | 'register' | 'vitest' | undefined;

/** Map the core's specifiers (and files) to the running core, once per process. Returns how. */
export function shareCore(): 'registerHooks' | 'register' | 'vitest' {
  if (installed) return installed;
  if (process.env.VITEST) return (installed = 'vitest');
  const aliases = coreAliases();
  const registerHooks = (module as unknown as { registerHooks?: (hooks: SyncHooks) => unknown }).registerHooks;
  if (typeof registerHooks === 'function') {
    registerHooks({
      resolve: (specifier, context, next) => {
        if (Object.hasOwn(aliases.specifiers, specifier)) return { url: aliases.specifiers[specifier], shortCircuit: true };
        const found = next(specifier, context);
        return Object.hasOwn(aliases.files, found.url) ? { url: aliases.files[found.url], shortCircuit: true } : found;
      },
    });
    return (installed = 'registerHooks');
  }
  module.register(`data:text/javascript,${encodeURIComponent(HOOKS_MODULE)}`, import.meta.url, { data: aliases });
  return (installed = 'register');
}
