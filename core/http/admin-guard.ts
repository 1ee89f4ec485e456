import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import { cookieValue, csrfMatches, SESSION_COOKIE, type AdminSession, type AdminSessions } from '../admin/sessions.js';
import { GatewayError } from '../errors/gateway-error.js';
import { keyGuard, presentedKey } from './auth.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The origin this request reached us at, as a browser on our own page would send it. */
export function ownOrigin(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

/**
 * The admin guard: the admin key in `Authorization: Bearer` or `x-admin-key`, or the console's
 * session cookie. A cookie is ambient (a browser sends it to any page's request), so with it a
 * state-changing request must also come from our own origin and carry the session's CSRF token.
 */
export function adminGuard(keys: readonly string[], sessions: AdminSessions, now: () => number): onRequestHookHandler {
  if (!keys.length) {
    return (_req, _reply, done) => done(new GatewayError('SWB_ERR_INVALID_API_KEY', 'Admin endpoints are disabled: set auth.adminKey to enable them.'));
  }
  const byKey = keyGuard(keys, { header: 'x-admin-key', what: 'admin key', preferHeader: true });
  return function adminGuardHook(request, reply, done) {
    const token = sessions.enabled && !presentedKey(request, 'x-admin-key', true) ? cookieValue(request.headers.cookie, SESSION_COOKIE) : undefined;
    if (token === undefined) return byKey.call(this, request, reply, done);
    sessions.find(token, now()).then(
      (session) => done(sessionRefusal(request, session)),
      (err: Error) => done(new GatewayError('SWB_ERR_STATE_UNAVAILABLE', `The console's sessions cannot be read now: ${err.message}`)),
    );
  };
}

/** Why a request with this session may not go on, or undefined when it may. */
function sessionRefusal(request: FastifyRequest, session: AdminSession | undefined): GatewayError | undefined {
  if (!session) return new GatewayError('SWB_ERR_INVALID_API_KEY', 'Your console session has expired or ended: log in again at /admin.');
  request.adminSession = session;
  if (SAFE_METHODS.has(request.method)) return undefined;
  if (request.headers.origin !== ownOrigin(request)) return new GatewayError('SWB_ERR_CSRF', 'This request did not come from the console page (its Origin is not this server): refused.');
  if (!csrfMatches(session, request.headers['x-csrf-token'])) return new GatewayError('SWB_ERR_CSRF', "Missing or wrong 'x-csrf-token' for this console session: reload the console.");
  return undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The console session that admitted this request, when it came with the session cookie. */
    adminSession?: AdminSession;
  }
}
