import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError, SESSION_COOKIE, cookieValue, keyMatcher, ownOrigin } from '../../core/index.js';
import { LoginThrottle } from './login-throttle.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
};
/** What the login page may load before anyone logged in; every other asset needs a session. */
const PUBLIC_ASSETS = new Set(['console.css', 'login.js', 'favicon.svg']);

/** Nothing from elsewhere, no inline script, never framed. */
const PAGE_HEADERS = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const DISABLED_PAGE =
  '<!doctype html><meta charset=utf-8><meta name=viewport content="width=device-width,initial-scale=1"><title>Switchboard console</title>' +
  '<h1>Switchboard console</h1><p>The console is disabled: set <code>auth.adminKey</code> (for example <code>SWITCHBOARD_ADMIN_KEY</code>) and restart.</p>';

const MISSING_PAGE = DISABLED_PAGE.replace(/<p>.*<\/p>/, "<p>The console's files are missing from this install (plugins/admin/console); the admin API under /v1/admin/ still works.</p>");

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/** The console's folder: beside this module in the sources, and found from the build too (tsc copies no HTML). */
async function consoleDir(): Promise<string | undefined> {
  const here = fileURLToPath(new URL('.', import.meta.url));
  for (const dir of [join(here, 'console'), join(here, '..', '..', '..', 'plugins', 'admin', 'console')]) {
    if (await stat(join(dir, 'app.html')).then((s) => s.isFile(), () => false)) return dir;
  }
  return undefined;
}

/** Every file of the console, read once at start: a handful of small files. */
async function loadAssets(dir: string): Promise<Map<string, Asset>> {
  const out = new Map<string, Asset>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = join(entry.parentPath, entry.name);
    const type = TYPES[extname(file)];
    if (!type) continue;
    const body = await readFile(file);
    out.set(relative(dir, file).split(sep).join('/'), { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` });
  }
  return out;
}

const cookieOf = (request: FastifyRequest): string | undefined => cookieValue(request.headers.cookie, SESSION_COOKIE);

export interface ConsoleOptions {
  sessionHours: number;
}

/**
 * The web console at `/admin`: its pages and scripts (bundled, nothing from another origin), the
 * login that turns the admin key into a session cookie (HttpOnly, SameSite=Strict, Secure behind
 * https, expiring on the server), and the logout.
 */
export async function consoleRoutes(app: FastifyInstance, options: ConsoleOptions): Promise<void> {
  const { config, adminSessions: sessions, guards, clock } = app.switchboard;
  const enabled = config.auth.adminKeys.length > 0;
  const dir = await consoleDir();
  // A broken install loses the pages, not the admin API.
  if (!dir) app.log.error('the admin console\'s files are missing (plugins/admin/console): /admin is unavailable, the admin API still works');
  const assets = dir ? await loadAssets(dir) : new Map<string, Asset>();
  const ttlMs = options.sessionHours * 3_600_000;
  if (enabled) sessions.enable(ttlMs);
  const isAdminKey = keyMatcher(config.auth.adminKeys);
  const throttle = new LoginThrottle(() => clock.now());

  const send = (request: FastifyRequest, reply: FastifyReply, asset: Asset) => {
    reply.headers(PAGE_HEADERS).header('etag', asset.etag).type(asset.type);
    if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
    return reply.send(asset.body);
  };
  const loggedIn = async (request: FastifyRequest) => {
    const token = cookieOf(request);
    return token !== undefined && (await sessions.find(token, clock.now())) !== undefined;
  };

  app.get('/admin', async (request, reply) => {
    const page = assets.get((await loggedIn(request)) ? 'app.html' : 'login.html');
    if (!enabled || !page) return reply.headers(PAGE_HEADERS).type(TYPES['.html']).send(enabled ? MISSING_PAGE : DISABLED_PAGE);
    return send(request, reply, page);
  });
  app.get('/admin/', async (_request, reply) => reply.redirect('/admin'));

  app.get<{ Params: { '*': string } }>('/admin/assets/*', async (request, reply) => {
    const name = request.params['*'];
    // Refused before looked up: without a session nothing says which files exist.
    if (!PUBLIC_ASSETS.has(name) && !(enabled && (await loggedIn(request)))) {
      throw new GatewayError('SWB_ERR_MISSING_API_KEY', 'Log in to the console first (/admin).');
    }
    const asset = assets.get(`assets/${name}`); // the files read at start, by name: no path reaches the disk
    if (!asset || name.endsWith('.html')) throw new GatewayError('SWB_ERR_UNKNOWN_URL', `Invalid URL (GET /admin/assets/${name.slice(0, 80)})`);
    return send(request, reply, asset);
  });

  app.post<{ Body: { key?: unknown } | undefined }>('/admin/login', async (request, reply) => {
    if (!enabled) throw new GatewayError('SWB_ERR_INVALID_API_KEY', 'The console is disabled: set auth.adminKey to enable it.');
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== ownOrigin(request)) throw new GatewayError('SWB_ERR_CSRF', 'A login from another origin is refused.');
    const address = request.ip;
    const wait = throttle.blockedFor(address);
    if (wait > 0) throw new GatewayError('SWB_ERR_TOO_MANY_LOGINS', `Too many failed logins from this address: try again in ${wait} s.`, { headers: { 'retry-after': String(wait) } });
    const key = request.body?.key;
    if (typeof key !== 'string' || !key || key.length > 4096 || !isAdminKey(key.trim())) {
      await throttle.failed(address);
      request.log.warn({ reqId: request.id, ip: address }, 'console login refused: wrong admin key');
      throw new GatewayError('SWB_ERR_LOGIN_FAILED', 'That is not the admin key.', { param: 'key' });
    }
    throttle.succeeded(address);
    const { token, session } = await sessions.create(clock.now());
    const secure = request.protocol === 'https' ? '; Secure' : '';
    reply.header('set-cookie', `${SESSION_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.floor(ttlMs / 1000)}${secure}`);
    request.log.info({ reqId: request.id, ip: address }, 'console login');
    return { ok: true, expiresAt: new Date(session.expires).toISOString() };
  });

  app.post('/admin/logout', { onRequest: guards.adminKey }, async (request, reply) => {
    const token = cookieOf(request);
    if (token) await sessions.end(token);
    const secure = request.protocol === 'https' ? '; Secure' : '';
    reply.header('set-cookie', `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0${secure}`);
    return { ok: true };
  });

  app.get('/v1/admin/session', { onRequest: guards.adminKey }, async (request) => {
    const s = request.adminSession;
    return { csrfToken: s?.csrfToken ?? null, expiresAt: s ? new Date(s.expires).toISOString() : null };
  });
}
