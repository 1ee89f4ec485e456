/**
 * The `admin` extension's API over real sockets: providers, credentials, the quota refresh job,
 * and who may call it (the admin key only; refused, not open, without one).
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { GROK_SSO } from './fakes/grok-web.js';
import { useFakeGrok, useFakeOpenAI, useSwitchboards } from './helpers/lifecycle.js';
import { ONE_ATTEMPT, type RunningSwitchboard } from './helpers/switchboard.js';

const KEYS = ['sk-admin-test-upstream-aaaa1111', 'sk-admin-test-upstream-bbbb2222'];
const ADMIN = 'sk-admin-api-secret-0001';
const CLIENT = 'sk-admin-api-client-0002';

const grok = useFakeGrok();
const fake = useFakeOpenAI();
const boards = useSwitchboards();
let sb: RunningSwitchboard | undefined;

async function start(auth: Record<string, unknown> = { apiKeys: [CLIENT], adminKey: ADMIN }) {
  sb = await boards.start({
    auth,
    plugins: { admin: {} },
    providers: [
      { id: 'up', plugin: 'openai-compatible', baseUrl: fake.up.url, credentials: [{ value: KEYS[0], name: 'team-a', tier: 'pro' }, KEYS[1]], ...ONE_ATTEMPT, models: ['gpt-4o-mini'] },
      { id: 'grok', plugin: 'grok-web', baseUrl: grok.grok.url, assetsUrl: grok.grok.assetsUrl, credentials: [{ value: GROK_SSO.super, tier: 'super' }] },
    ],
    models: { 'gpt-4o-mini': 'up/gpt-4o-mini' },
  });
  return new OpenAI({ baseURL: sb.baseURL, apiKey: CLIENT, maxRetries: 0 });
}

async function call(method: string, path: string, key = ADMIN, header = 'authorization', body?: unknown) {
  const headers: Record<string, string> = {};
  if (key) headers[header] = header === 'authorization' ? `Bearer ${key}` : key;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${sb!.origin}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text) as Record<string, any> };
}

describe('the admin API', () => {
  it('GET /v1/admin/providers: each provider with readiness, models, breakers and credentials by state', async () => {
    await start();
    const r = await call('GET', '/v1/admin/providers');
    expect(r.status).toBe(200);
    const up = r.json.data.find((p: { id: string }) => p.id === 'up');
    expect(up).toMatchObject({ plugin: 'openai-compatible', ready: true, models: expect.arrayContaining(['gpt-4o-mini']), breakers: {}, credentials: { ok: 2, cooling: 0, disabled: 0 } });
    expect(r.json.data.map((p: { id: string }) => p.id)).toEqual(['up', 'grok']);
  });

  it("GET .../credentials: every field, a 429'd key cooling with its reason, ids masked, no secret anywhere", async () => {
    const client = await start();
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    fake.up.script({ kind: 'status', status: 429, body: { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } }, headers: { 'retry-after': '60' } });
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'again' }] });
    const r = await call('GET', '/v1/admin/providers/up/credentials');
    expect(r.status).toBe(200);
    const [a, b] = r.json.data;
    expect(a).toMatchObject({ id: 'team-a', name: 'team-a', tier: 'pro' });
    expect(b.id).toMatch(/^sk-…2222·[0-9a-f]{4}$/);
    const cooling = r.json.data.find((c: { state: string }) => c.state === 'cooling');
    const ok = r.json.data.find((c: { state: string }) => c.state === 'ok');
    expect(cooling).toMatchObject({ coolingReason: expect.stringContaining('rate limited'), failures: 1, failuresByKind: { rate_limited: 1 } });
    expect(Date.parse(cooling.coolingUntil)).toBeGreaterThan(Date.now() + 50_000);
    expect(ok).toMatchObject({ successes: 2, coolingUntil: null, disabledReason: null, deniedModels: [] }); // the first answer, and the retry of the 429'd one
    expect(cooling.successes).toBe(0);
    expect(ok.tokensIn + cooling.tokensIn).toBeGreaterThan(0);
    for (const k of [...KEYS, ADMIN, CLIENT]) expect(r.text).not.toContain(k);
    expect((await call('GET', '/v1/admin/providers/nope/credentials')).status).toBe(404);
  });

  it("test one credential: a real minimal call, its status and time; a failure is fed to the pool as any call's", async () => {
    await start();
    const ok = await call('POST', '/v1/admin/providers/up/credentials/team-a/test');
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ ok: true, status: 200, error: null, model: 'gpt-4o-mini' });
    expect(ok.json.ms).toBeGreaterThanOrEqual(0);
    const chats = () => fake.up.requests.filter((q) => q.path.endsWith('/chat/completions'));
    const before = chats().length;
    fake.up.script({ kind: 'status', status: 401, body: { error: { message: 'Incorrect API key provided: sk-admi...2222', type: 'invalid_request_error', code: 'invalid_api_key' } } });
    const second = (await call('GET', '/v1/admin/providers/up/credentials')).json.data[1].id as string;
    const bad = await call('POST', `/v1/admin/providers/up/credentials/${encodeURIComponent(second)}/test`);
    expect(bad.json).toMatchObject({ ok: false, status: 401 });
    expect(bad.json.error).toContain('401');
    expect(chats().length).toBe(before + 1);
    expect(chats().at(-1)!.headers.authorization).toBe(`Bearer ${KEYS[1]}`); // that credential, not another
    const after = (await call('GET', '/v1/admin/providers/up/credentials')).json.data[1];
    expect(after.state).toBe('disabled'); // a 401 is a dead key, as for any call
    for (const k of [...KEYS, ADMIN, CLIENT]) expect(bad.text).not.toContain(k);
    expect((await call('POST', '/v1/admin/providers/up/credentials/nobody/test')).status).toBe(404);
  });

  it('add (a list or a paste, with name and tier), disable with a reason, enable, delete, rotate, reset: each shown at once', async () => {
    await start();
    const path = '/v1/admin/providers/up/credentials';
    const add = await call('POST', path, ADMIN, 'authorization', { credentials: [{ value: 'sk-added-secret-cccc3333', name: 'team-c', tier: 'pro' }] });
    expect(add.status).toBe(200);
    expect(add.json).toMatchObject({ added: [{ id: 'team-c', name: 'team-c', tier: 'pro', state: 'ok' }], alreadyPresent: [], total: 3 });
    const paste = await call('POST', path, ADMIN, 'authorization', { credentials: '# two more\nsk-pasted-secret-dddd4444\n\nsk-added-secret-cccc3333\n' });
    expect(paste.json.added).toHaveLength(1);
    expect(paste.json.alreadyPresent).toHaveLength(1);
    expect(paste.json.total).toBe(4);
    for (const k of ['sk-added-secret-cccc3333', 'sk-pasted-secret-dddd4444']) expect(add.text + paste.text).not.toContain(k);
    const bad = await call('POST', path, ADMIN, 'authorization', { credentials: [{ value: 'x', name: '' }] });
    expect(bad.status).toBe(400);
    expect(bad.json.error.param).toBe('credentials[0].name');

    const off = await call('POST', `${path}/team-c/disable`, ADMIN, 'authorization', { reason: 'leaked in a log' });
    expect(off.json).toMatchObject({ id: 'team-c', state: 'disabled', disabledReason: 'leaked in a log' });
    expect((await call('POST', `${path}/team-c/enable`)).json).toMatchObject({ id: 'team-c', state: 'ok' });
    const del = await call('DELETE', `${path}/team-c`);
    expect(del.json).toMatchObject({ deleted: 'team-c', total: 3 });
    expect((await call('GET', path)).json.data.map((c: { id: string }) => c.id)).not.toContain('team-c');

    const rotated = await call('POST', '/v1/admin/providers/up/rotate');
    expect(rotated.status).toBe(200);
    expect(typeof rotated.json.current).toBe('string');
    const client = new OpenAI({ baseURL: sb!.baseURL, apiKey: CLIENT, maxRetries: 0 });
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'count me' }] });
    expect((await call('GET', path)).json.data.reduce((n: number, c: { requests: number }) => n + c.requests, 0)).toBe(1);
    expect((await call('POST', '/v1/admin/providers/up/reset')).status).toBe(200);
    expect((await call('GET', path)).json.data.reduce((n: number, c: { requests: number }) => n + c.requests, 0)).toBe(0);
    expect((await call('POST', `${path}/nobody/enable`)).status).toBe(404);
    expect((await call('POST', `${path}/team-a/disable`, CLIENT)).status).toBe(401);
  });

  it('quota refresh: POST starts it (202), a second POST while it runs is a 409, GET follows it to done', async () => {
    await start();
    grok.grok.script(GROK_SSO.super, { kind: 'slow', on: 'quota', firstByteMs: 150 });
    const first = await call('POST', '/v1/admin/providers/grok/quotas/refresh');
    expect(first.status).toBe(202);
    expect(first.json).toMatchObject({ running: true, done: 0 });
    const again = await call('POST', '/v1/admin/providers/grok/quotas/refresh');
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe('refresh_running');
    await expect.poll(async () => (await call('GET', '/v1/admin/providers/grok/quotas/refresh')).json.running, { timeout: 5000, interval: 50 }).toBe(false);
    const done = (await call('GET', '/v1/admin/providers/grok/quotas/refresh')).json;
    expect(done).toMatchObject({ running: false, failed: 0 });
    expect(done.done).toBe(done.total);
    expect(Date.parse(done.finishedAt)).toBeGreaterThan(0);
    // a provider that cannot read quotas says so
    expect((await call('POST', '/v1/admin/providers/up/quotas/refresh')).status).toBe(400);
  });

  it('only the admin key opens it (Bearer or x-admin-key); the client key and no key are refused; without an admin key it is disabled, not open', async () => {
    await start();
    expect((await call('GET', '/v1/admin/providers', '')).status).toBe(401); // no key
    expect((await call('GET', '/v1/admin/providers', CLIENT)).status).toBe(401);
    expect((await call('GET', '/v1/admin/providers', ADMIN, 'x-admin-key')).status).toBe(200);
    expect((await call('POST', '/v1/admin/providers/grok/quotas/refresh', CLIENT)).status).toBe(401);
    await sb!.close();
    await start({ apiKeys: [CLIENT] });
    const r = await call('GET', '/v1/admin/providers', 'anything');
    expect(r.status).toBe(401);
    expect(r.json.error.message).toBe('Admin endpoints are disabled: set auth.adminKey to enable them.');
  });
});
