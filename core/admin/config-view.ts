import type { Config } from '../config/types.js';
import { maskSecret } from '../pool/credentials.js';
import { safeRedisUrl } from '../state/redis-url.js';

/** Option names that hold a secret whatever their value looks like. */
const SECRET_NAME = /key|token|secret|passw|cookie|sso|auth|credential|bearer|session/i;

/**
 * The running config as the admin API shows it: every secret masked. Known secrets (client and
 * admin keys, every credential) are masked wherever they appear, even inside a longer string;
 * options whose name says secret are masked whatever they hold; URLs lose their passwords.
 */
export function configView(config: Config): Record<string, unknown> {
  const secrets = [...config.auth.apiKeys, ...config.auth.adminKeys, ...config.providers.flatMap((p) => p.credentials.map((c) => c.secret))]
    .filter((s) => s.length >= 4)
    .sort((a, b) => b.length - a.length); // the longest first, so one that contains another is masked whole
  const scrub = (text: string): string => {
    let out = text;
    for (const s of secrets) if (out.includes(s)) out = out.split(s).join(maskSecret(s));
    return /^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]*@/i.test(out) ? safeRedisUrl(out) : out;
  };
  const walk = (value: unknown, name = ''): unknown => {
    if (typeof value === 'string') return SECRET_NAME.test(name) && value ? maskSecret(value) : scrub(value);
    if (Array.isArray(value)) return value.map((v) => walk(v, name));
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, k)]));
    return value;
  };
  return {
    server: config.server,
    auth: {
      apiKeys: config.auth.apiKeys.map((k, i) => ({ name: config.auth.apiKeyNames[i] ?? null, key: maskSecret(k) })),
      adminKeys: config.auth.adminKeys.map(maskSecret),
    },
    state: { ...config.state, url: config.state.driver === 'redis' ? safeRedisUrl(config.state.url) : undefined },
    usage: config.usage,
    responses: config.responses,
    providers: config.providers.map((p) => ({
      id: p.id,
      plugin: p.plugin,
      enabled: p.enabled,
      credentials: p.credentials.map((c) => ({ id: maskSecret(c.secret), name: c.name ?? null, tier: c.tier ?? null })),
      credentialsMissing: p.credentialsMissing ?? null,
      models: p.models?.map((m) => m.id) ?? null,
      ...(walk(p.sections) as object),
      options: walk(p.options),
    })),
    models: config.models,
    plugins: config.plugins.map((e) => ({ name: e.name, options: walk(e.options) })),
  };
}
