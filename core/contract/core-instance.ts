import { fileURLToPath } from 'node:url';

/**
 * The core exists once per process. Its classes are compared by identity (`instanceof
 * UpstreamError`, `RawChatChunk`): a plugin given a second copy of the core would throw errors
 * the running server does not recognise, and its failures would be misclassified in silence.
 * The loader maps a plugin's `import 'switchboard'` to the running core (core/loader/core-alias.ts);
 * this brand is the guard behind it. The first copy evaluated claims a global; a copy evaluated
 * from another file refuses to load, naming both.
 */
const BRAND = Symbol.for('switchboard.core');
const here = import.meta.url;
const store = globalThis as { [BRAND]?: string };
const first = store[BRAND];
if (first !== undefined && first !== here) {
  const path = (url: string) => (url.startsWith('file:') ? fileURLToPath(url) : url);
  throw new Error(
    `a second copy of Switchboard's core was loaded from ${path(here)}; the running server's is ${path(first)}. ` +
      "A plugin must share the server's core: do not bundle switchboard into a plugin, and declare it as a peerDependency",
  );
}
store[BRAND] = here;

/** The file of the core this process runs (the module URL that claimed the brand). */
export const CORE_INSTANCE = here;
