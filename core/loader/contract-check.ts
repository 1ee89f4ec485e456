import { CONTRACT_VERSION, type ProviderPlugin } from '../contract/provider.js';
import type { ExtensionPlugin } from '../contract/extension.js';
import { providerCoreProperties } from '../config/schema.js';

type Kind = 'provider' | 'extension';

/** Why `value` is not a usable plugin of `kind`, one reason per entry (empty when it is). */
export function contractProblems(value: unknown, kind: Kind): string[] {
  if (!value || typeof value !== 'object') return ['does not export a plugin object (default export)'];
  const p = value as Record<string, unknown>;
  if (p.kind !== kind) {
    if (p.kind === 'extension') return ['is an extension plugin: enable it under plugins:, not providers:'];
    if (p.kind === 'provider') return ['is a provider plugin: list it under providers:, not plugins:'];
    return [`declares kind ${JSON.stringify(p.kind)}; expected "${kind}"`];
  }
  const out: string[] = [];
  if (p.contractVersion !== CONTRACT_VERSION) out.push(versionProblem(p.contractVersion));
  if (typeof p.name !== 'string' || !p.name) out.push('is missing name (a string)');
  const schema = p.optionsSchema as Record<string, unknown> | undefined;
  if (kind === 'provider' || schema !== undefined) {
    if (!schema || typeof schema !== 'object' || schema.type !== 'object') {
      out.push('is missing optionsSchema (a JSON Schema with type "object")');
    }
  }
  // The core takes its keys out of a provider's entry before the plugin sees the rest: a plugin
  // option of the same name would be swallowed silently (grok-web's model list once was).
  const own = kind === 'provider' && schema && typeof schema.properties === 'object' ? Object.keys(schema.properties as object) : [];
  for (const key of own.filter((k) => k in providerCoreProperties)) {
    out.push(`declares option "${key}" in optionsSchema, a key the core takes from every provider entry (the plugin would never see it); name it differently${key === 'models' ? ' (a model catalogue of its own: catalog)' : ''}`);
  }
  const deps = p.dependencies;
  if (kind === 'extension' && deps !== undefined && !(Array.isArray(deps) && deps.every((d) => typeof d === 'string' && d))) {
    out.push('declares dependencies that are not a list of plugin names (strings)');
  }
  const fn = kind === 'provider' ? 'create' : 'register';
  if (typeof p[fn] !== 'function') out.push(`is missing ${fn}()`);
  return out;
}

/**
 * A plugin for another contract: one written for a newer contract needs a newer Switchboard, one
 * for an older contract needs a release of the plugin for this one. Both versions are named.
 */
export function versionProblem(declared: unknown): string {
  if (typeof declared !== 'number' || !Number.isInteger(declared)) {
    return `declares contractVersion ${JSON.stringify(declared)}; expected an integer (this Switchboard speaks plugin contract ${CONTRACT_VERSION})`;
  }
  if (declared > CONTRACT_VERSION) {
    return `is written for plugin contract ${declared}, newer than this Switchboard's contract ${CONTRACT_VERSION}: upgrade Switchboard to a release that speaks contract ${declared}`;
  }
  return `is written for plugin contract ${declared}, older than this Switchboard's contract ${CONTRACT_VERSION}: the plugin needs updating to contract ${CONTRACT_VERSION} (a newer release of it, or ask its author)`;
}

/** Why a created provider instance cannot serve (empty when it can). */
export function instanceProblems(instance: unknown): string[] {
  if (!instance || typeof instance !== 'object') return ['create() did not return a provider object'];
  const p = instance as Record<string, unknown>;
  const out: string[] = [];
  for (const m of ['chat', 'listModels']) if (typeof p[m] !== 'function') out.push(`provider is missing ${m}()`);
  for (const m of ['complete', 'embeddings', 'classify', 'close', 'resolveModel', 'rankCredential', 'fetchQuota', 'quotaModels', 'rateLimitGroup']) {
    if (p[m] !== undefined && typeof p[m] !== 'function') out.push(`provider member ${m} must be a function`);
  }
  return out;
}

export const isProviderPlugin = (v: unknown): v is ProviderPlugin => contractProblems(v, 'provider').length === 0;
export const isExtensionPlugin = (v: unknown): v is ExtensionPlugin => contractProblems(v, 'extension').length === 0;
