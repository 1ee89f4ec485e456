// `npm run docs`: the plugin contract's reference (docs/reference/), in markdown so it reads on
// GitHub, from the TSDoc of the package's public entry points.
import { existsSync } from 'node:fs';
import { Converter, ReflectionKind } from 'typedoc';

// The package's exports: `switchboard` and, once it exists, `switchboard/testing`.
const NAMES = { 'core/index.ts': 'switchboard', 'core/testing/index.ts': 'switchboard/testing' };
const entryPoints = Object.keys(NAMES).filter((f) => existsSync(f));

/** @type {Partial<import('typedoc').TypeDocOptions & import('typedoc-plugin-markdown').PluginOptions>} */
// Types the extension kit's services mention but do not export: the core's internals (config,
// router, pool internals, state drivers). An extension uses them through the services' methods;
// their shape may change without a contract version, so the reference names them without a page.
const internals = [
  'AccessLog', 'AdaptiveRpm', 'ClientError', 'Config', 'CredentialChanges', 'CredentialRecord', 'Dispatcher', 'Drain',
  'Exchange', 'ImageFiles', 'KeyValueOptions', 'KeyValueStore', 'Lease', 'LeaseOwner', 'ModelCatalog', 'ModelRecord',
  'ModelRouter', 'PoolSettings', 'ProviderConfig', 'ProviderPolicies', 'SharedEvents', 'SharedGate', 'Tried', 'WindowCounts',
  // The kit's own insides: a check's shape and the running suite's context (a Switchboard handle).
  'Check', 'KitContext',
];

export default {
  entryPoints,
  tsconfig: 'tsconfig.json',
  plugin: ['typedoc-plugin-markdown', './typedoc.config.mjs'],
  out: 'docs/reference',
  name: 'switchboard',
  readme: 'none',
  skipErrorChecking: true,
  excludePrivate: true,
  excludeInternal: true,
  githubPages: false,
  disableSources: true,
  hideGenerator: true,
  cleanOutputDir: true,
  intentionallyNotExported: internals,
  treatWarningsAsErrors: true,
};

/**
 * This file is also a typedoc plugin: with two entry points typedoc names each module after its
 * file (`index`, `testing`); readers import them as the package's exports, so they get those names.
 */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const module of context.project.getChildrenByKind(ReflectionKind.Module)) {
      const name = { index: NAMES['core/index.ts'], testing: NAMES['core/testing/index.ts'] }[module.name];
      if (name) module.name = name;
    }
  });
}
