import { hash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import { GatewayError } from '../errors/gateway-error.js';

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

/**
 * A hook admitting requests that carry one of `keys`. An unknown key is compared as a SHA-256
 * digest with `timingSafeEqual` against every configured key without stopping early, so timing
 * reveals neither a key's length nor how close a guess came.
 */
export function keyGuard(keys: readonly string[], opts: { header?: string; what?: string; preferHeader?: boolean } = {}): onRequestHookHandler {
  const digests = keys.map(digest);
  const what = opts.what ?? 'API key';
  // Keys already proven valid skip the hash. Only exact valid keys are ever stored, so a lookup
  // tells a caller nothing the response would not; every other key takes the constant-time path.
  const proven = new Set<string>();
  return function keyGuardHook(request, _reply, done) {
    const key = presentedKey(request, opts.header, opts.preferHeader);
    if (!key) {
      done(new GatewayError('SWB_ERR_MISSING_API_KEY', `You didn't provide an ${what}. Send it as 'Authorization: Bearer <key>' (or the ${opts.header ?? 'x-api-key'} header).`));
      return;
    }
    if (proven.has(key)) {
      done();
      return;
    }
    const d = digest(key);
    let ok = false;
    for (const k of digests) ok = timingSafeEqual(d, k) || ok;
    if (ok) proven.add(key);
    done(ok ? undefined : new GatewayError('SWB_ERR_INVALID_API_KEY', `Incorrect ${what} provided.`));
  };
}
