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
  register: FastifyPluginAsync<Options>;
}

export function defineExtension<Options extends FastifyPluginOptions>(plugin: ExtensionPlugin<Options>): ExtensionPlugin<Options> {
  return plugin;
}
