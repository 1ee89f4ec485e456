import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { StartupError } from '../errors/gateway-error.js';
import type { ModelInfo } from '../contract/openai.js';
import type { ProviderSections } from '../contract/provider.js';
import type { Timeouts } from '../contract/provider.js';
import { interpolate } from './interpolate.js';
import { Problems, type PathSegment } from './problems.js';
import { corsOriginsOf } from './cors-origins.js';
import { configSchema, providerCoreProperties } from './schema.js';
import { resolveSecrets } from './secrets.js';
import type { Config, CredentialEntry, ModelRoute, ProviderConfig, RouteTarget } from './types.js';
import { validateInto } from './validate.js';

/** Command-line and environment values that beat the file. */
export interface Overrides {
  host?: string;
  port?: number;
  logLevel?: string;
  trustProxy?: boolean;
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  overrides?: Overrides;
}

/** A parsed config plus the problems found so far; plugin checks add theirs before anyone throws. */
export interface ConfigDraft {
  config: Config;
  problems: Problems;
}

/**
 * Read, parse, interpolate and check a config file. Throws only when the file cannot be read or
 * parsed. Relative paths in it resolve against its folder, or against `dir` when given.
 */
export function readConfigFile(file: string, options: LoadOptions & { dir?: string } = {}): ConfigDraft {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new StartupError('SWB_ERR_CONFIG_UNREADABLE', `cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length) {
    const msgs = doc.errors.map((e) => {
      const pos = lines.linePos(e.pos[0]);
      return `line ${pos.line}, column ${pos.col}: ${e.message.split('\n')[0]}`;
    });
    throw new StartupError('SWB_ERR_CONFIG_INVALID', `${path} is not valid YAML:`, msgs);
  }
  const problems = new Problems(doc, lines);
  return { config: buildConfig(doc.toJS() ?? {}, { ...options, dir: options.dir ?? dirname(path), path }, problems), problems };
}

/** A draft from a plain object instead of a file (tests, embedding). */
export function readConfigObject(raw: unknown, options: LoadOptions & { dir: string }): ConfigDraft {
  const problems = new Problems();
  return { config: buildConfig(raw, options, problems), problems };
}

/** The client keys and, in the same order, the name each was given. */
function clientKeys(entries: CredentialEntry[]): { apiKeys: string[]; apiKeyNames: (string | undefined)[] } {
  return { apiKeys: entries.map((c) => c.secret), apiKeyNames: entries.map((c) => c.name) };
}

/** Build a config from a plain object (a parsed file, or a test's literal). */
export function buildConfig(
  raw: unknown,
  options: LoadOptions & { dir: string; path?: string },
  problems: Problems = new Problems(),
): Config {
  const env = options.env ?? process.env;
  const data = interpolate(raw, env, problems) as Record<string, unknown>;
  validateInto(configSchema, data, [], problems);
  const server = (data.server ?? {}) as Config['server'];
  const auth = (data.auth ?? {}) as { apiKeys?: unknown; adminKey?: unknown };
  const providers = providersOf(data.providers, options.dir, env, problems);
  const state = (data.state ?? {}) as Partial<Config['state']>;
  const responses = (data.responses ?? {}) as Partial<Config['responses']>;
  const config: Config = {
    server: {
      ...server,
      host: options.overrides?.host ?? server.host,
      port: options.overrides?.port ?? server.port,
      logLevel: options.overrides?.logLevel ?? server.logLevel,
      trustProxy: options.overrides?.trustProxy ?? server.trustProxy,
      cors: { origins: corsOriginsOf((server as { cors?: { origins?: unknown } }).cors?.origins, problems) },
    },
    auth: {
      ...clientKeys(resolveSecrets(auth.apiKeys, options.dir, env, problems, ['auth', 'apiKeys'])),
      adminKeys: resolveSecrets(auth.adminKey, options.dir, env, problems, ['auth', 'adminKey']).map((c) => c.secret),
    },
    state: {
      driver: state.driver ?? 'file',
      path: resolve(options.dir, state.path ?? './data/state.json'),
      debounceMs: state.debounceMs ?? 1000,
      url: state.url ?? env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      keyPrefix: state.keyPrefix ?? 'switchboard:',
      connectTimeoutMs: state.connectTimeoutMs ?? 2000,
      syncIntervalMs: state.syncIntervalMs ?? 500,
      commandTimeoutMs: state.commandTimeoutMs ?? 500,
    },
    responses: { ttlHours: responses.ttlHours ?? 720, maxStored: responses.maxStored ?? 1000 },
    usage: { retentionDays: (data.usage as Partial<Config['usage']> | undefined)?.retentionDays ?? 30 },
    providers,
    models: routesOf(data.models, providers, problems),
    plugins: Object.entries((data.plugins ?? {}) as Record<string, unknown>)
      .filter(([, v]) => v !== false)
      .map(([name, v]) => ({ name, options: v && typeof v === 'object' ? (v as Record<string, unknown>) : {} })),
    path: options.path,
    dir: options.dir,
  };
  return config;
}

/** Throw the collected problems as one start-up error, one line each. */
export function assertNoProblems(draft: ConfigDraft): Config {
  if (draft.problems.size === 0) return draft.config;
  const where = draft.config.path ? ` in ${draft.config.path}` : '';
  throw new StartupError('SWB_ERR_CONFIG_INVALID', `invalid configuration${where}:`, draft.problems.format());
}

function providersOf(list: unknown, dir: string, env: NodeJS.ProcessEnv, problems: Problems): ProviderConfig[] {
  if (!Array.isArray(list)) return [];
  const seen = new Map<string, number>();
  const out: ProviderConfig[] = [];
  list.forEach((entry, index) => {
    if (!entry || typeof entry !== 'object') return;
    const e = entry as Record<string, unknown>;
    const id = typeof e.id === 'string' ? e.id : `#${index}`;
    const at: PathSegment[] = ['providers', index];
    if (seen.has(id)) problems.add([...at, 'id'], `duplicate provider id "${id}" (also providers[${seen.get(id)}])`);
    seen.set(id, index);
    const empty: string[] = [];
    const credentials = resolveSecrets(e.credentials, dir, env, problems, [...at, 'credentials'], empty);
    if (typeof e.apiKey === 'string' && e.apiKey.trim()) credentials.unshift({ secret: e.apiKey.trim() });
    else if (e.apiKey !== undefined) empty.unshift(e.credentials !== undefined ? 'apiKey is empty' : 'the value is empty');
    const options: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(e)) if (!(k in providerCoreProperties)) options[k] = v;
    out.push({
      id,
      plugin: String(e.plugin ?? ''),
      enabled: e.enabled !== false,
      credentials,
      // Credentials configured but all resolved to nothing: not a keyless provider (see ProviderConfig).
      ...(credentials.length === 0 && (e.credentials !== undefined || e.apiKey !== undefined)
        ? { credentialsMissing: `providers[${index}].${e.credentials !== undefined ? 'credentials' : 'apiKey'}: ${empty.join(', ')}; provider ${id} has no credentials` }
        : {}),
      models: Array.isArray(e.models)
        ? (e.models as unknown[]).map((m) => (typeof m === 'string' ? { id: m } : (m as ModelInfo)))
        : undefined,
      modelsCacheTtlMs: typeof e.modelsCacheTtlMs === 'number' ? e.modelsCacheTtlMs : 600_000,
      sections: sectionsOf(e),
      options,
      index,
    });
  });
  return out;
}

/** The resilience keys as written; plugin defaults are merged under them when the plugin is known. */
function sectionsOf(e: Record<string, unknown>): ProviderSections {
  const out: ProviderSections = {};
  for (const k of ['timeouts', 'pool', 'throttle', 'cooldowns', 'retry', 'breaker', 'bulkhead'] as const) {
    const v = e[k];
    if (v && typeof v === 'object') out[k] = v as Record<string, unknown>;
  }
  return out;
}

function routesOf(spec: unknown, providers: ProviderConfig[], problems: Problems): ModelRoute[] {
  if (!spec || typeof spec !== 'object') return [];
  const ids = providers.map((p) => p.id);
  const routes: ModelRoute[] = [];
  for (const [alias, value] of Object.entries(spec as Record<string, unknown>)) {
    const at: PathSegment[] = ['models', alias];
    let raw: unknown[];
    let description: string | undefined;
    let targetsAt = at;
    if (typeof value === 'string') raw = [value];
    else if (Array.isArray(value)) raw = value;
    else if (value && typeof value === 'object' && Array.isArray((value as { targets?: unknown }).targets)) {
      raw = (value as { targets: unknown[] }).targets;
      description = (value as { description?: string }).description;
      targetsAt = [...at, 'targets'];
    } else continue; // the schema already reported it
    const targets: RouteTarget[] = [];
    raw.forEach((t, i) => {
      const tAt = typeof value === 'string' ? at : [...targetsAt, i];
      const target = toTarget(t);
      if (!target) {
        problems.add(tAt, `expected "provider/model", got ${JSON.stringify(t)}`);
        return;
      }
      const provider = providers.find((p) => p.id === target.provider);
      if (!provider) problems.add(tAt, `unknown provider "${target.provider}"; known: ${ids.join(', ') || '(none)'}`);
      else if (provider.enabled) targets.push(target);
    });
    routes.push({ id: alias, targets, description });
  }
  return routes;
}

function toTarget(t: unknown): RouteTarget | undefined {
  if (typeof t === 'string') {
    const slash = t.indexOf('/');
    if (slash <= 0 || slash === t.length - 1) return undefined;
    return { provider: t.slice(0, slash), model: t.slice(slash + 1) };
  }
  if (t && typeof t === 'object') {
    const { provider, model } = t as RouteTarget;
    if (typeof provider === 'string' && typeof model === 'string') return { provider, model };
  }
  return undefined;
}
