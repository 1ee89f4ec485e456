import cors from '@fastify/cors';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, onRequestHookHandler, RouteOptions } from 'fastify';
import type { CorsConfig } from '../config/types.js';

/**
 * What browser clients send beyond the CORS-safelisted headers: the keys, both front doors'
 * version and beta headers, what the official SDKs add (x-stainless-*, idempotency keys), and
 * tracing headers. A list rather than echoing what the browser asks, so what passes is reviewable.
 */
export const ALLOWED_HEADERS = [
  'authorization',
  'content-type',
  'x-api-key',
  'anthropic-version',
  'anthropic-beta',
  'anthropic-dangerous-direct-browser-access',
  'openai-beta',
  'openai-organization',
  'openai-project',
  'idempotency-key',
  'user-agent',
  'x-stainless-arch',
  'x-stainless-lang',
  'x-stainless-os',
  'x-stainless-package-version',
  'x-stainless-runtime',
  'x-stainless-runtime-version',
  'x-stainless-retry-count',
  'x-stainless-timeout',
  'x-stainless-helper',
  'x-stainless-helper-method',
  'x-stainless-poll-helper',
  'x-stainless-custom-poll-interval',
  // tracing that web apps' fetch instrumentation adds (OpenTelemetry, request ids)
  'traceparent',
  'tracestate',
  'baggage',
  'x-request-id',
];

/** Response headers a page may read: when to retry, and the ids to quote in a bug report. */
export const EXPOSED_HEADERS = ['retry-after', 'retry-after-ms', 'x-request-id', 'request-id'];

/** Admin paths by prefix, besides every route guarded by the admin key (found as routes register). */
const ADMIN_PREFIXES = ['/v1/admin/', '/v1/tokens/'];

type Hook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

/**
 * CORS for the client routes (`/v1/...`, whatever registers there later), with @fastify/cors.
 * Admin routes never answer it: no `Access-Control-Allow-Origin`, and their preflight is a 404.
 * Preflights are answered before any route hook, so they need no API key; a Private Network
 * Access preflight from an allowed origin is granted too. Must run before the
 * routes register: it learns the admin-guarded ones as they do.
 */
export async function installCors(app: FastifyInstance, settings: CorsConfig, adminGuard: onRequestHookHandler): Promise<void> {
  if (settings.origins.length === 0) return;
  const admin = new AdminPaths(adminGuard);
  app.addHook('onRoute', (route) => admin.note(route));
  const allowed = originMatcher(settings.origins);

  // @fastify/cors's hook costs ~1 µs on every request (route options, an options spread, Vary),
  // though most gateway traffic comes from servers and sends no Origin. So its hook is taken
  // rather than installed, and called only for requests that carry an Origin.
  let corsHook: Hook | undefined;
  await app.register(async (scope) => {
    scope.addHook = ((_name: string, fn: Hook) => {
      corsHook = fn;
      return scope;
    }) as unknown as FastifyInstance['addHook'];
    await scope.register(cors, {
      origin: allowed === '*' ? '*' : (origin, cb) => cb(null, origin !== undefined && allowed(origin)),
      methods: ['GET', 'HEAD', 'POST', 'DELETE'],
      allowedHeaders: ALLOWED_HEADERS,
      exposedHeaders: EXPOSED_HEADERS,
      maxAge: 600,
      // A bare OPTIONS with an Origin is answered like a preflight, not with a text/plain 400.
      strictPreflight: false,
    });
  });
  const hook = corsHook;
  if (!hook) throw new Error('@fastify/cors registered no hook');
  app.addHook('onRequest', function corsGate(request, reply, done) {
    const origin = request.headers.origin;
    if (origin === undefined || !admin.isClientPath(request.url)) {
      done();
      return;
    }
    // Chrome's Private Network Access: a public page's preflight to a private or loopback
    // address asks this too. Granted to the origins CORS admits, never to others.
    if (request.method === 'OPTIONS' && request.headers['access-control-request-private-network'] === 'true' && (allowed === '*' || allowed(origin))) {
      reply.header('Access-Control-Allow-Private-Network', 'true');
    }
    hook(request, reply, done);
  });
}

/**
 * Which origins may call: `*`, or a test built once from exact origins and `scheme://host:*`
 * entries (any port, or none). Plain string comparisons: no regular expression sees the Origin.
 */
export function originMatcher(origins: readonly string[]): '*' | ((origin: string) => boolean) {
  if (origins.includes('*')) return '*';
  const exact = new Set<string>();
  const anyPort: string[] = [];
  for (const o of origins) {
    if (o.endsWith(':*')) anyPort.push(o.slice(0, -1));
    else exact.add(o);
  }
  return (origin) => {
    if (exact.has(origin)) return true;
    for (const prefix of anyPort) {
      if (origin === prefix.slice(0, -1)) return true; // the scheme's default port: no port at all
      if (origin.startsWith(prefix) && isPort(origin, prefix.length)) return true;
    }
    return false;
  };
}

function isPort(s: string, from: number): boolean {
  const n = s.length - from;
  if (n < 1 || n > 5) return false;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return Number(s.slice(from)) <= 65535;
}

/** The admin routes, by path: a preflight is matched by the OPTIONS catch-all, not by its route. */
class AdminPaths {
  readonly #exact = new Set<string>();
  readonly #prefixes = [...ADMIN_PREFIXES];

  constructor(private readonly guard: onRequestHookHandler) {}

  note(route: RouteOptions): void {
    const hooks = route.onRequest;
    const guarded = Array.isArray(hooks) ? hooks.includes(this.guard) : hooks === this.guard;
    if (!guarded) return;
    const cut = route.url.search(/[:*(]/);
    if (cut === -1) this.#exact.add(route.url);
    else this.#prefixes.push(route.url.slice(0, cut));
  }

  /** A `/v1/` path that is not an admin route; percent-escapes decoded as the router does. */
  isClientPath(url: string): boolean {
    const q = url.indexOf('?');
    let path = q === -1 ? url : url.slice(0, q);
    if (path.includes('%')) {
      try {
        path = decodeURIComponent(path);
      } catch {
        return false;
      }
    }
    if (!path.startsWith('/v1/') || this.#exact.has(path)) return false;
    for (const p of this.#prefixes) if (path.startsWith(p)) return false;
    return true;
  }
}
