/**
 * The admin API beyond the pools, over real sockets: usage per client, model and hour; the live
 * tail of requests; the running config with its secrets masked; the image caches; the playground;
 * and the console's login session (cookie, CSRF token, Origin check, logout).
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { useFakeOpenAI, useSwitchboards } from './helpers/lifecycle.js';
import { ONE_ATTEMPT, type RunningSwitchboard } from './helpers/switchboard.js';

const UPSTREAM = 'sk-observe-upstream-aaaa1111';
const ADMIN = 'sk-observe-admin-secret-0001';
const CLIENT = 'sk-observe-client-secret-0002';
const OTHER = 'sk-observe-client-secret-0003';

const fake = useFakeOpenAI();
const boards = useSwitchboards();
let sb: RunningSwitchboard;

async function start() {
  sb = await boards.start({
    auth: { apiKeys: [{ key: CLIENT, name: 'team-a' }, { key: OTHER, name: 'team-b' }], adminKey: ADMIN },
    plugins: { admin: {} },
    providers: [
      { id: 'up', plugin: 'openai-compatible', baseUrl: fake.up.url, credentials: [{ value: UPSTREAM, name: 'main' }], ...ONE_ATTEMPT, models: ['gpt-4o-mini'] },
      { id: 'mock', plugin: 'mock', chunkDelayMs: 1 },
    ],
    models: { 'gpt-4o-mini': 'up/gpt-4o-mini' },
  });
}

async function call(method: string, path: string, headers: Record<string, string> = { authorization: `Bearer ${ADMIN}` }, body?: unknown) {
  const h: Record<string, string> = { ...headers };
  if (body !== undefined) h['content-type'] = 'application/json';
  const res = await fetch(`${sb.origin}${path}`, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, headers: res.headers };
}

const secrets = [UPSTREAM, ADMIN, CLIENT, OTHER];
const noSecret = (text: string) => {
  for (const s of secrets) expect(text).not.toContain(s);
};

describe('admin API: usage, tail, config, images, playground', () => {
  it('usage: requests, tokens and errors per client name, model and hour', async () => {
    await start();
    const a = new OpenAI({ baseURL: sb.baseURL, apiKey: CLIENT, maxRetries: 0 });
    const b = new OpenAI({ baseURL: sb.baseURL, apiKey: OTHER, maxRetries: 0 });
    const ask = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hi' }] };
    await a.chat.completions.create(ask);
    await a.chat.completions.create(ask);
    await b.chat.completions.create({ ...ask, model: 'mock/echo' });
    await b.chat.completions.create({ ...ask, model: 'made-up-model-x1' }).catch(() => undefined);
    const r = await call('GET', '/v1/admin/usage?hours=24');
    expect(r.status).toBe(200);
    const rows = r.json.data as { client: string; model: string; requests: number; tokensIn: number; tokensOut: number; errors: number; hour: string }[];
    const find = (client: string, model: string) => rows.find((x) => x.client === client && x.model === model);
    expect(find('team-a', 'gpt-4o-mini')).toMatchObject({ requests: 2, errors: 0 });
    expect(find('team-a', 'gpt-4o-mini')!.tokensIn).toBeGreaterThan(0);
    expect(find('team-b', 'mock/echo')).toMatchObject({ requests: 1, errors: 0 });
    expect(find('team-b', 'other')).toMatchObject({ requests: 1, errors: 1 });
    expect(new Date(rows[0].hour).getUTCMinutes()).toBe(0);
    expect(r.text).not.toContain('made-up-model');
    noSecret(r.text);
    expect((await call('GET', '/v1/admin/usage?hours=0')).json.error.param).toBe('hours');
    expect((await call('GET', '/v1/admin/usage?hours=abc')).status).toBe(400);
  });

  it('requests: the last requests newest first, and a live event stream of new ones', async () => {
    await start();
    const a = new OpenAI({ baseURL: sb.baseURL, apiKey: CLIENT, maxRetries: 0 });
    await a.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'first' }] });
    const recent = await call('GET', '/v1/admin/requests');
    expect(recent.json.data[0]).toMatchObject({ route: '/v1/chat/completions', client: 'team-a', model: 'gpt-4o-mini', provider: 'up', credential: 'main', status: 200, stream: false, attempts: 1 });
    const live = await fetch(`${sb.origin}/v1/admin/requests/stream`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(live.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = live.body!.getReader();
    const stream = await a.chat.completions.create({ model: 'mock/echo', stream: true, messages: [{ role: 'user', content: 'second' }] });
    for await (const _ of stream) void _;
    let text = '';
    while (!text.includes('"mock/echo"')) text += new TextDecoder().decode((await reader.read()).value);
    const event = JSON.parse(/data: (.*)\n/.exec(text.slice(text.indexOf('data: {')))![1]);
    expect(event).toMatchObject({ model: 'mock/echo', provider: 'mock', stream: true, status: 200, client: 'team-a' });
    expect(event.ttfbMs).toBeGreaterThanOrEqual(0);
    await reader.cancel();
    noSecret(text + recent.text);
  });

  it('config: the running config with every secret masked; images: size and clear; playground streams through the real path', async () => {
    await start();
    const cfg = await call('GET', '/v1/admin/config');
    expect(cfg.status).toBe(200);
    expect(cfg.json.config.auth.apiKeys.map((k: { name: string }) => k.name)).toEqual(['team-a', 'team-b']);
    expect(cfg.json.config.providers[0].credentials[0]).toMatchObject({ name: 'main' });
    noSecret(cfg.text);
    const images = await call('GET', '/v1/admin/images');
    expect(images.json.data).toEqual([]);
    expect((await call('POST', '/v1/admin/images/clear')).json).toEqual({ cleared: 0 });
    const play = await fetch(`${sb.origin}/v1/admin/playground`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock/echo', stream: true, messages: [{ role: 'user', content: 'ping pong' }] }),
    });
    const sse = await play.text();
    expect(sse).toContain('data: [DONE]');
    expect(sse).toContain('ping');
    const usage = await call('GET', '/v1/admin/usage?hours=1');
    expect(usage.json.data.find((x: { client: string }) => x.client === 'admin console')).toMatchObject({ model: 'mock/echo', requests: 1 });
    // a client key is no admin key
    expect((await call('POST', '/v1/admin/playground', { authorization: `Bearer ${CLIENT}` }, { model: 'mock/echo', messages: [] })).status).toBe(401);
  });
});

describe('the console session', () => {
  const login = (key: string, origin?: string) =>
    fetch(`${sb.origin}/admin/login`, { method: 'POST', headers: { 'content-type': 'application/json', ...(origin ? { origin } : {}) }, body: JSON.stringify({ key }) });

  it('login sets an HttpOnly SameSite=Strict cookie; a wrong key is refused after a delay; CSRF token and Origin are checked; logout ends it', async () => {
    await start();
    const t0 = Date.now();
    const wrong = await login('sk-not-the-admin-key-000');
    expect(wrong.status).toBe(401);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe('invalid_admin_key');
    expect((await login(ADMIN, 'http://evil.example')).status).toBe(403);

    const ok = await login(ADMIN, sb.origin);
    expect(ok.status).toBe(200);
    const setCookie = ok.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^swb_admin=[\w-]{43}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=43200$/);
    const cookie = setCookie.split(';')[0];
    noSecret(setCookie);

    const session = await call('GET', '/v1/admin/session', { cookie });
    expect(session.status).toBe(200);
    const csrf = session.json.csrfToken as string;
    expect(csrf).toMatch(/^[\w-]{32}$/);
    expect((await call('GET', '/v1/admin/providers', { cookie })).status).toBe(200);
    // state-changing with the cookie: needs our Origin and the CSRF token
    expect((await call('POST', '/v1/admin/providers/up/rotate', { cookie, origin: sb.origin })).json.error.code).toBe('csrf_check_failed');
    expect((await call('POST', '/v1/admin/providers/up/rotate', { cookie, 'x-csrf-token': csrf })).status).toBe(403);
    expect((await call('POST', '/v1/admin/providers/up/rotate', { cookie, 'x-csrf-token': csrf, origin: 'http://evil.example' })).status).toBe(403);
    expect((await call('POST', '/v1/admin/providers/up/rotate', { cookie, 'x-csrf-token': 'x'.repeat(32), origin: sb.origin })).status).toBe(403);
    expect((await call('POST', '/v1/admin/providers/up/rotate', { cookie, 'x-csrf-token': csrf, origin: sb.origin })).status).toBe(200);

    expect((await call('POST', '/admin/logout', { cookie, 'x-csrf-token': csrf, origin: sb.origin })).status).toBe(200);
    expect((await call('GET', '/v1/admin/providers', { cookie })).status).toBe(401);
    // a forged cookie is nobody
    expect((await call('GET', '/v1/admin/providers', { cookie: `swb_admin=${'A'.repeat(43)}` })).status).toBe(401);
  });

  it('before login only the login page and its assets are served; pages carry a CSP and no secret', async () => {
    await start();
    const page = await fetch(`${sb.origin}/admin`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    noSecret(await page.text());
    expect((await fetch(`${sb.origin}/admin/assets/app.js`)).status).toBe(401);
    // the login page's own files are served before login (a lookup by the wrong key once made them 404)
    for (const name of ['console.css', 'login.js', 'favicon.svg']) expect((await fetch(`${sb.origin}/admin/assets/${name}`)).status).toBe(200);
    const escape = await fetch(`${sb.origin}/admin/assets/..%2f..%2f..%2fpackage.json`);
    expect(escape.status).toBe(401);
    expect(await escape.text()).not.toContain('"devDependencies"');
  });
});
