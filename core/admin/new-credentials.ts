import { GatewayError } from '../errors/gateway-error.js';
import type { NewCredential } from './admin-actions.js';

/** Most credentials one request may add. */
export const MAX_NEW_CREDENTIALS = 1000;
/** Printable ASCII: a secret goes into a header, where a control character would split it. */
const SECRET = /^[\x20-\x7e]{1,8192}$/;
const NAME = /^[\x21-\x7e][\x20-\x7e]{0,99}$/;
const TIER = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * Credentials to add, checked: each a secret string or `{ value | key | secret, name, tier }`.
 * `param` names the list in errors (`tokens`, `credentials`); a secret is never echoed. A paste of
 * several secrets, one per line, is a list too (blank lines and `#` comments skipped).
 */
export function parseNewCredentials(list: unknown, param: string): NewCredential[] {
  const items = typeof list === 'string' ? list.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#')) : list;
  if (!Array.isArray(items) || items.length === 0 || items.length > MAX_NEW_CREDENTIALS) {
    throw new GatewayError('SWB_ERR_INVALID_VALUE', `Give the credentials to add as {"${param}": ["<secret>", {"value": "<secret>", "name": "<name>", "tier": "<tier>"}]} or as one secret per line (1 to ${MAX_NEW_CREDENTIALS}).`, { param });
  }
  return items.map((t, i) => {
    const o = typeof t === 'string' ? { value: t } : t && typeof t === 'object' ? (t as Record<string, unknown>) : {};
    const secret = o.value ?? o.key ?? o.secret;
    if (typeof secret !== 'string' || !SECRET.test(secret.trim())) {
      throw new GatewayError('SWB_ERR_INVALID_VALUE', `${param}[${i}]: give the secret as a string of printable characters (at most 8192).`, { param: `${param}[${i}]` });
    }
    if (o.name !== undefined && (typeof o.name !== 'string' || !NAME.test(o.name))) {
      throw new GatewayError('SWB_ERR_INVALID_VALUE', `${param}[${i}].name: give a name of 1 to 100 printable characters.`, { param: `${param}[${i}].name` });
    }
    if (o.tier !== undefined && (typeof o.tier !== 'string' || !TIER.test(o.tier))) {
      throw new GatewayError('SWB_ERR_INVALID_VALUE', `${param}[${i}].tier: give a tier such as "basic" or "super" (letters, digits, - and _).`, { param: `${param}[${i}].tier` });
    }
    return { secret: secret.trim(), ...(typeof o.name === 'string' ? { name: o.name } : {}), ...(typeof o.tier === 'string' ? { tier: o.tier } : {}) };
  });
}
