import type { FastifyPluginAsync, FastifyPluginOptions } from 'fastify';
import type { CONTRACT_VERSION, JsonSchema } from './provider.js';

/**
 * The default export of an extension plugin: a fastify plugin plus the data the loader checks.
 * Enabled under `plugins: { <name>: {options} }`; core services come from `app.switchboard`.
 */
export interface ExtensionPlugin<Options extends FastifyPluginOptions = Record<string, unknown>> {
  kind: 'extension';
  contractVersion: typeof CONTRACT_VERSION;
  name: string;
  /** JSON Schema of the options object under `plugins.<name>`. */
  optionsSchema?: JsonSchema;
  /**
   * Names of what must be registered before this extension: other extensions (by `name`), or the
   * core's route groups (`switchboard-v1`, `switchboard-admin`, `switchboard-health`,
   * `switchboard-files`). Extensions register in the order `plugins:` lists them; one listed too
   * early, or one that is not enabled, stops the start with fastify's message naming both.
   */
  dependencies?: readonly string[];
  register: FastifyPluginAsync<Options>;
}

export function defineExtension<Options extends FastifyPluginOptions>(plugin: ExtensionPlugin<Options>): ExtensionPlugin<Options> {
  return plugin;
}
