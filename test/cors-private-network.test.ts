/**
 * Chrome's Private Network Access: a preflight from a public page to Switchboard on a loopback
 * or private address carries `Access-Control-Request-Private-Network: true`, and Chrome sends the
 * request only if the answer grants `Access-Control-Allow-Private-Network: true`. Granted to
 * allowed origins on client routes; never to a refused origin, never on admin routes.
 */
import { describe, expect, it } from 'vitest';
import { useSwitchboards } from './helpers/lifecycle.js';

const PAGE = 'https://chat.example.com';
const ADMIN = 'sk-pna-admin-0123456789';
const sbs = useSwitchboards();

const start = (origins: string[] | '*' = [PAGE]) =>
  sbs.start({ server: { cors: { origins } }, auth: { apiKeys: ['sk-pna-client-0123456789'], adminKey: ADMIN }, providers: [{ id: 'mock', plugin: 'mock' }], plugins: { 'token-admin': {} } });

async function preflight(base: string, path: string, origin: string, method = 'POST', privateNetwork = true): Promise<Response> {
  const headers: Record<string, string> = { origin, 'access-control-request-method': method, 'access-control-request-headers': 'authorization, content-type' };
  if (privateNetwork) headers['access-control-request-private-network'] = 'true';
  const res = await fetch(`${base}${path}`, { method: 'OPTIONS', headers });
  await res.text();
  return res;
}

describe('Private Network Access preflight', () => {
  it('an allowed origin gets Access-Control-Allow-Private-Network: true on every client route', async () => {
    const sb = await start();
    for (const [method, path] of [['POST', '/v1/chat/completions'], ['POST', '/v1/messages'], ['POST', '/v1/responses'], ['GET', '/v1/models']]) {
      const res = await preflight(sb.origin, path, PAGE, method);
      expect(res.status, path).toBe(204);
      expect(res.headers.get('access-control-allow-origin'), path).toBe(PAGE);
      expect(res.headers.get('access-control-allow-private-network'), path).toBe('true');
    }
  });

  it('with origins "*" every page gets it', async () => {
    const sb = await start('*');
    const res = await preflight(sb.origin, '/v1/chat/completions', 'https://anywhere.example');
    expect(res.headers.get('access-control-allow-private-network')).toBe('true');
  });

  it('a refused origin never gets it', async () => {
    const sb = await start();
    for (const origin of ['https://evil.example', 'https://chat.example.com.evil.example', 'null']) {
      const res = await preflight(sb.origin, '/v1/chat/completions', origin);
      expect(res.headers.get('access-control-allow-origin'), origin).toBeNull();
      expect(res.headers.get('access-control-allow-private-network'), origin).toBeNull();
    }
  });

  it('admin routes never get it, even from an allowed origin', async () => {
    const sb = await start();
    for (const [method, path] of [['POST', '/v1/admin/reload'], ['GET', '/v1/tokens/stats'], ['GET', '/v1/t%6fkens/stats']]) {
      const res = await preflight(sb.origin, path, PAGE, method);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('access-control-allow-private-network'), path).toBeNull();
    }
  });

  it('is not sent to a preflight that does not ask for it', async () => {
    const sb = await start();
    const res = await preflight(sb.origin, '/v1/chat/completions', PAGE, 'POST', false);
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-private-network')).toBeNull();
  });
});
