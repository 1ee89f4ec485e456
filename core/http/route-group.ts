import type { FastifyPluginAsync, FastifyPluginOptions } from 'fastify';
import fp from 'fastify-plugin';
import type { ExtensionPlugin } from '../contract/extension.js';

/** The fastify version range the core and its extensions are written for. */
const FASTIFY = '5.x';

/** Every plugin here reads the core services. */
const NEEDS_SERVICES = { fastify: ['switchboard'] };

/**
 * A core route group as a named fastify plugin (`switchboard-<name>`), still encapsulated: its
 * hooks and parsers stay its own. Named, an extension can declare it as a dependency, and an
 * ordering mistake fails at boot with fastify's own message.
 */
export function routeGroup<O extends FastifyPluginOptions = Record<never, never>>(name: string, fn: FastifyPluginAsync<O>, dependencies: string[] = []): FastifyPluginAsync<O> {
  return fp(fn, { name: `switchboard-${name}`, fastify: FASTIFY, decorators: NEEDS_SERVICES, dependencies, encapsulate: true });
}

/**
 * An extension as fastify registers it: named after the extension, with the dependencies it
 * declares. Encapsulated like any fastify plugin, unless its author wrapped `register` with
 * fastify-plugin to add global hooks: that choice is kept. A fresh wrapper per app, so the
 * author's function is never marked.
 */
export function extensionPlugin(plugin: ExtensionPlugin): FastifyPluginAsync<FastifyPluginOptions> {
  const global = (plugin.register as unknown as Record<symbol, unknown>)[Symbol.for('skip-override')] === true;
  const register: FastifyPluginAsync<FastifyPluginOptions> = (app, opts) => plugin.register(app, opts);
  return fp(register, { name: plugin.name, fastify: FASTIFY, decorators: NEEDS_SERVICES, dependencies: [...(plugin.dependencies ?? [])], encapsulate: !global });
}
