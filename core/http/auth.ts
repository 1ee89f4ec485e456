import { hash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import { GatewayError } from '../errors/gateway-error.js';
import { maskSecret } from '../pool/credentials.js';

// one-shot hash: about half the cost of createHash().update().digest() per request
const digest = (s: string): Buffer => hash('sha256', s, 'buffer');

/**
 * The key a client presented: `Authorization: Bearer <key>` or `x-api-key: <key>`. With
 * `preferAlt` the other header wins when both are sent (an admin key in `x-admin-key` beside a
 * client key in `Authorization`).
 */
export function presentedKey(request: FastifyRequest, altHeader = 'x-api-key', preferAlt = false): string | undefined {
  if (preferAlt) {
    const alt = request.headers[altHeader];
    if (typeof alt === 'string' && alt) return alt.trim();
  }
  const auth = request.headers.authorization;
  if (auth) {
    const space = auth.indexOf(' ');
    if (space > 0 && auth.slice(0, space).toLowerCase() === 'bearer') return auth.slice(space + 1).trim();
  }
  const alt = request.headers[altHeader];
  return typeof alt === 'string' && alt ? alt.trim() : undefined;
}

/** Whether `key` is one of `keys`: compared as digests, in constant time, against every key. */
export function keyMatcher(keys: readonly string[]): (key: string) => boolean {
  const digests = keys.map(digest);
  return (key) => {
    const d = digest(key);
    let found = false;
    for (const k of digests) if (timingSafeEqual(d, k)) found = true;
    return found;
  };
}

/**
 * A hook admitting requests that carry one of `keys`. An unknown key is compared as a SHA-256
 * digest with `timingSafeEqual` against every configured key without stopping early, so timing
 * reveals neither a key's length nor how close a guess came.
 */
export function keyGuard(keys: readonly string[], opts: { header?: string; what?: string; preferHeader?: boolean; names?: readonly (string | undefined)[] } = {}): onRequestHookHandler {
  const digests = keys.map(digest);
  const what = opts.what ?? 'API key';
  // Who each client key is, in logs and usage: its configured name, else a masked form (never the
  // key). Only for the client guard: the admin guard names nobody.
  const names = opts.names ? keys.map((k, i) => opts.names?.[i] ?? maskSecret(k)) : undefined;
  // Keys already proven valid skip the hash. Only exact valid keys are ever stored, so a lookup
  // tells a caller nothing the response would not; every other key takes the constant-time path.
  const proven = new Map<string, string | undefined>();
  return function keyGuardHook(request, _reply, done) {
    const key = presentedKey(request, opts.header, opts.preferHeader);
    if (!key) {
      done(new GatewayError('SWB_ERR_MISSING_API_KEY', `You didn't provide an ${what}. Send it as 'Authorization: Bearer <key>' (or the ${opts.header ?? 'x-api-key'} header).`));
      return;
    }
    if (proven.has(key)) {
      request.client = proven.get(key);
      done();
      return;
    }
    const d = digest(key);
    let at = -1;
    for (let i = 0; i < digests.length; i++) if (timingSafeEqual(d, digests[i]) && at === -1) at = i;
    if (at !== -1) {
      proven.set(key, names?.[at]);
      request.client = names?.[at];
    }
    done(at !== -1 ? undefined : new GatewayError('SWB_ERR_INVALID_API_KEY', `Incorrect ${what} provided.`));
  };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The client key's name (or its masked form) once the key guard admitted the request. */
    client?: string;
  }
}
