/**
 * CORS over real sockets, with the headers a browser sends: preflights on every client route
 * (answered without the API key), the actual answers (JSON, SSE stream, errors) carrying
 * Access-Control-Allow-Origin for allowed origins only, and admin routes never answering it.
 * Node's fetch does not enforce CORS, so what the browser would decide is asserted on headers;
 * cors-browser.test.ts lets a real Chromium decide.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfigObject } from '../core/config/load.js';
import { ALLOWED_HEADERS } from '../core/http/cors.js';
import { startSwitchboard, type RunningSwitchboard } from './helpers/switchboard.js';
import { useSwitchboards } from './helpers/lifecycle.js';

const KEY = 'sk-cors-client-0123456789';
const ADMIN = 'sk-cors-admin-0123456789';
const UI = 'http://localhost:5173';
const providers = [{ id: 'mock', plugin: 'mock' }];
const chat = (extra: Record<string, unknown> = {}) => JSON.stringify({ model: 'mock/echo', messages: [{ role: 'user', content: 'hello there' }], ...extra });

let sb: RunningSwitchboard;
beforeAll(async () => {
  sb = await startSwitchboard({
    auth: { apiKeys: [KEY], adminKey: ADMIN },
    providers,
    plugins: { 'token-admin': {}, 'rate-limits': {}, 'string-endpoint': { model: 'mock/echo' } },
  });
});
afterAll(async () => {
  await sb?.close();
});
const sbs = useSwitchboards();

function preflight(base: string, path: string, origin = UI, method = 'POST', headers = 'authorization, content-type') {
  return fetch(`${base}${path}`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers } });
}

function post(base: string, path: string, body: string, headers: Record<string, string> = {}) {
  return fetch(`${base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', ...headers }, body });
}

describe('CORS preflight', () => {
  it('is answered on /v1 client routes from a loopback origin by default, without the API key', async () => {
    const res = await preflight(sb.origin, '/v1/chat/completions');
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(UI);
    expect(res.headers.get('access-control-allow-methods')).toBe('GET, HEAD, POST, DELETE');
    expect(res.headers.get('access-control-max-age')).toBe('600');
    expect(res.headers.get('vary')).toMatch(/origin/i);
    const allowed = res.headers.get('access-control-allow-headers')!.split(', ');
    for (const h of ['authorization', 'content-type', 'x-api-key', 'anthropic-version', 'anthropic-beta', 'anthropic-dangerous-direct-browser-access', 'openai-beta', 'x-stainless-os', 'x-stainless-retry-count', 'x-stainless-timeout']) {
      expect(allowed).toContain(h);
    }
    expect(allowed).not.toContain('x-admin-key');
  });

  it('covers every client path by prefix, routes still to come included', async () => {
    for (const path of [
      '/v1/chat/completions',
      '/v1/completions',
      '/v1/embeddings',
      '/v1/images/generations',
      '/v1/models',
      '/v1/models/mock/echo',
      '/v1/files/image/0123456789abcdef0123456789abcdef',
      '/v1/string?q=hi',
      '/v1/messages?beta=true',
      '/v1/messages/count_tokens',
      '/v1/responses',
      '/v1/responses/resp_123/input_items',
    ]) {
      const res = await preflight(sb.origin, path, 'http://127.0.0.1:3000', path.startsWith('/v1/models') ? 'GET' : 'POST');
      expect(res.status, path).toBe(204);
      expect(res.headers.get('access-control-allow-origin'), path).toBe('http://127.0.0.1:3000');
    }
  });

  it('lets the headers the official SDKs send from a browser through', async () => {
    // What @anthropic-ai/sdk and openai send with dangerouslyAllowBrowser.
    const sent = ALLOWED_HEADERS.join(', ');
    const res = await preflight(sb.origin, '/v1/messages', UI, 'POST', sent);
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-headers')).toBe(sent);
  });

  it('is not answered for an origin that is not allowed: no Allow-Origin, so the browser stops', async () => {
    for (const origin of ['https://evil.example', 'http://localhost.evil.example:8080', 'http://localhost:99999', 'http://localhost:80x', 'https://localhost:3000', 'null']) {
      const res = await preflight(sb.origin, '/v1/chat/completions', origin);
      expect(res.headers.get('access-control-allow-origin'), origin).toBeNull();
      expect(res.headers.get('access-control-allow-headers'), origin).toBeNull();
      await res.text();
    }
  });

  it('accepts every loopback form: localhost, 127.0.0.1 and [::1], any port or none', async () => {
    for (const origin of ['http://localhost', 'http://localhost:3000', 'http://127.0.0.1:8080', 'http://[::1]:5173', 'http://[::1]']) {
      const res = await preflight(sb.origin, '/v1/chat/completions', origin);
      expect(res.status, origin).toBe(204);
      expect(res.headers.get('access-control-allow-origin'), origin).toBe(origin);
    }
  });
});

describe('CORS on answers', () => {
  it('a non-streaming answer carries Allow-Origin and exposes Retry-After and x-request-id', async () => {
    const res = await post(sb.origin, '/v1/chat/completions', chat(), { origin: UI });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(UI);
    expect(res.headers.get('access-control-expose-headers')).toBe('retry-after, retry-after-ms, x-request-id, request-id');
    expect(res.headers.get('vary')).toMatch(/origin/i);
    expect(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0].message.content).toBe('hello there');
  });

  it('a streamed answer carries them too (the responder writes the headers itself)', async () => {
    const res = await post(sb.origin, '/v1/chat/completions', chat({ stream: true }), { origin: UI });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('access-control-allow-origin')).toBe(UI);
    expect(res.headers.get('access-control-expose-headers')).toContain('retry-after');
    expect(await res.text()).toContain('data: [DONE]');
  });

  it('errors carry them, so the page can read why (a missing key, an unknown URL)', async () => {
    const noKey = await fetch(`${sb.origin}/v1/chat/completions`, { method: 'POST', headers: { origin: UI, 'content-type': 'application/json' }, body: chat() });
    expect(noKey.status).toBe(401);
    expect(noKey.headers.get('access-control-allow-origin')).toBe(UI);
    expect(((await noKey.json()) as { error: { code: string } }).error.code).toBe('missing_api_key');
    const unknown = await post(sb.origin, '/v1/nothing-here', '{}', { origin: UI });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('access-control-allow-origin')).toBe(UI);
  });

  it('the plain-text string endpoint carries them', async () => {
    const res = await fetch(`${sb.origin}/v1/string?q=hi`, { headers: { authorization: `Bearer ${KEY}`, origin: UI } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(UI);
    expect(await res.text()).toBe('hi');
  });

  it('a request from a disallowed origin is still served (the browser, not the server, blocks the page)', async () => {
    const res = await post(sb.origin, '/v1/chat/completions', chat(), { origin: 'https://evil.example' });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    await res.text();
  });

  it('a request without Origin (server to server) gets no CORS headers at all', async () => {
    const res = await post(sb.origin, '/v1/chat/completions', chat());
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('vary')).toBeNull();
    await res.text();
  });

  it('routes outside /v1 (health probes) never answer CORS', async () => {
    const res = await fetch(`${sb.origin}/healthz`, { headers: { origin: UI } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect((await preflight(sb.origin, '/readyz', UI, 'GET')).headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('admin routes never answer CORS', () => {
  const admin = [
    ['POST', '/v1/admin/reload'],
    ['GET', '/v1/tokens/stats'],
    ['POST', '/v1/tokens/rotate'],
    ['GET', '/v1/rate-limits/observed'],
  ] as const;

  it('no preflight: a 404 without Allow-Origin, even spelled with percent-escapes', async () => {
    for (const [method, path] of [...admin, ['POST', '/v1/%61dmin/reload'], ['GET', '/v1/tokens/st%61ts?provider=mock']] as const) {
      const res = await preflight(sb.origin, path, UI, method, 'authorization, x-admin-key');
      expect(res.status, path).toBe(404);
      expect(res.headers.get('access-control-allow-origin'), path).toBeNull();
      expect(res.headers.get('access-control-allow-methods'), path).toBeNull();
      await res.text();
    }
  });

  it('no Allow-Origin on their answers, with the admin key or without', async () => {
    for (const [method, path] of admin) {
      for (const headers of [{ origin: UI, authorization: `Bearer ${ADMIN}` }, { origin: UI }] as Record<string, string>[]) {
        const res = await fetch(`${sb.origin}${path}`, { method, headers });
        expect(res.headers.get('access-control-allow-origin'), `${method} ${path}`).toBeNull();
        await res.text();
      }
    }
  });
});

describe('server.cors.origins', () => {
  it('a list replaces the default: exact origins and :* port wildcards', async () => {
    const s = await sbs.start({ server: { cors: { origins: ['https://Chat.Example.com', 'http://my-box.lan:*'] } }, providers });
    const allowed = await preflight(s.origin, '/v1/chat/completions', 'https://chat.example.com');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://chat.example.com');
    expect((await preflight(s.origin, '/v1/models', 'http://my-box.lan:8080', 'GET')).headers.get('access-control-allow-origin')).toBe('http://my-box.lan:8080');
    for (const origin of [UI, 'https://chat.example.com:8443', 'https://sub.chat.example.com']) {
      const res = await preflight(s.origin, '/v1/chat/completions', origin);
      expect(res.headers.get('access-control-allow-origin'), origin).toBeNull();
      await res.text();
    }
  });

  it('"*" allows every origin with Allow-Origin: *', async () => {
    const s = await sbs.start({ server: { cors: { origins: '*' } }, providers });
    const pre = await preflight(s.origin, '/v1/chat/completions', 'https://anywhere.example');
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    const res = await fetch(`${s.origin}/v1/chat/completions`, { method: 'POST', headers: { origin: 'https://anywhere.example', 'content-type': 'application/json' }, body: chat({ stream: true }) });
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    await res.text();
  });

  it('[] turns CORS off: no preflight, no headers', async () => {
    const s = await sbs.start({ server: { cors: { origins: [] } }, providers });
    const pre = await preflight(s.origin, '/v1/chat/completions');
    expect(pre.status).toBe(404);
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    await pre.text();
    const res = await fetch(`${s.origin}/v1/chat/completions`, { method: 'POST', headers: { origin: UI, 'content-type': 'application/json' }, body: chat() });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    await res.text();
  });

  it('defaults to the loopback origins', () => {
    const { config, problems } = readConfigObject({ providers }, { dir: process.cwd() });
    expect(problems.size).toBe(0);
    expect(config.server.cors.origins).toEqual(['http://localhost:*', 'http://127.0.0.1:*', 'http://[::1]:*']);
  });

  it('a malformed origin is a start-up error naming the entry and the expected form', () => {
    const { problems } = readConfigObject(
      { server: { cors: { origins: ['https://chat.example.com/', 'localhost:3000', 'http://a.example:*', 'http://*.example.com'] } }, providers },
      { dir: process.cwd() },
    );
    const lines = problems.format();
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^server\.cors\.origins\[0\]: expected "\*" or an origin such as https:\/\/chat\.example\.com or http:\/\/localhost:\* .*got "https:\/\/chat\.example\.com\/": an origin has no path/);
    expect(lines[1]).toMatch(/^server\.cors\.origins\[1\]: .*got "localhost:3000"/);
    expect(lines[2]).toMatch(/^server\.cors\.origins\[3\]: .*got "http:\/\/\*\.example\.com"/);
    const wrongType = readConfigObject({ server: { cors: { origins: { list: [UI] }, extra: true } }, providers }, { dir: process.cwd() }).problems.format();
    expect(wrongType.join('\n')).toMatch(/server\.cors\.origins: expected "\*" or a list of origins, got an object/);
    expect(wrongType.join('\n')).toMatch(/server\.cors\.extra: unknown key; known: origins/);
  });
});
