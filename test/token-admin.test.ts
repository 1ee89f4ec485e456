/**
 * The token-admin and rate-limits extensions end to end: a real Switchboard over loopback with a
 * pool of four keys in front of a fake upstream told per key how to fail, called with fetch the
 * way the GitHub Models proxy's users script it (plus the admin key Switchboard requires).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../core/state/clock.js';
import { defaultReply, fakeUsage, startFakeOpenAI, type Behaviour, type FakeOpenAI } from './fakes/openai-upstream.js';
import { startSwitchboard, type RunningSwitchboard } from './helpers/switchboard.js';
import { maskSecret } from '../core/pool/credentials.js';

const ADMIN = 'admin-secret-0123456789abcdef';
const KEYS = [0, 1, 2, 3].map((i) => `sk-admin-pool-key-${i}-0123456789${String(i).repeat(4)}`);
const [K0, K1, K2, K3] = KEYS;
const masked = maskSecret;
const messages = [{ role: 'user' as const, content: 'count me' }];
const expected = defaultReply({ messages });

let up: FakeOpenAI;
let sb: RunningSwitchboard | undefined;
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  up = await startFakeOpenAI({ models: ['gpt-4o-mini', 'gpt-4o'] });
});
afterAll(async () => {
  await up.close();
});
beforeEach(() => {
  up.requests.length = 0;
});
afterEach(async () => {
  await sb?.close();
  sb = undefined;
  for (const c of cleanups.splice(0)) await c();
});


/** Every request with one of `keys` gets `b` until the test ends. */
function whenKey(keys: string[], b: Behaviour): void {
  cleanups.push(up.whenKey(keys, b));
}

function provider(extra: Record<string, unknown> = {}) {
  return {
    id: 'up',
    plugin: 'openai-compatible',
    baseUrl: up.url,
    models: ['gpt-4o-mini', 'gpt-4o'],
    credentials: KEYS,
    timeouts: { firstByteMs: 1500, idleMs: 1500, totalMs: 8000 },
    retry: { attempts: 1 },
    ...extra,
  };
}

/** A second pool, with named credentials as the seed had them (`GITHUB_TOKEN`, ...). */
function named(id = 'gh') {
  return {
    ...provider(),
    id,
    credentials: [
      { value: 'ghp_named0000000000000000aaaa', name: 'GITHUB_TOKEN' },
      { value: 'ghp_named0000000000000000bbbb', name: 'GITHUB_TOKEN2' },
    ],
  };
}

async function start(opts: { providers?: unknown[]; clock?: ManualClock; auth?: unknown } = {}) {
  sb = await startSwitchboard(
    {
      auth: opts.auth ?? { adminKey: ADMIN },
      plugins: { 'token-admin': {}, 'rate-limits': {} },
      providers: opts.providers ?? [provider()],
      models: { m: 'up/gpt-4o-mini' },
    },
    { clock: opts.clock },
  );
  return new OpenAI({ baseURL: sb.baseURL, apiKey: 'none', maxRetries: 0 });
}

interface Envelope {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** An admin call; `auth: null` sends no key. */
async function admin<T = Record<string, any>>(method: 'GET' | 'POST', path: string, auth: Record<string, string> | null = { authorization: `Bearer ${ADMIN}` }, body?: unknown) {
  const headers = { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
  const res = await fetch(`${sb!.origin}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text) as T };
}
const stats = async (query = '') => (await admin('GET', `/v1/tokens/stats${query}`)).json;
const observed = async (query = '') => (await admin('GET', `/v1/rate-limits/observed${query}`)).json;

async function chat(model = 'm') {
  const res = await fetch(`${sb!.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, messages }) });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

const ENDPOINTS = [
  ['GET', '/v1/tokens/stats'],
  ['POST', '/v1/tokens/rotate'],
  ['POST', '/v1/tokens/reset-stats'],
  ['POST', '/v1/tokens/enable'],
  ['POST', '/v1/tokens/disable'],
  ['POST', '/v1/tokens/add'],
  ['POST', '/v1/tokens/delete'],
  ['POST', '/v1/admin/reload'],
  ['GET', '/v1/rate-limits/observed'],
] as const;

describe('admin key', () => {
  it('every endpoint answers 401 in the OpenAI envelope without the admin key or with a wrong one', async () => {
    await start();
    for (const [method, path] of ENDPOINTS) {
      const none = await admin<Envelope>(method, path, null);
      expect(none.status, `${method} ${path}`).toBe(401);
      expect(none.json.error).toMatchObject({ type: 'invalid_request_error', code: 'missing_api_key' });
      expect(none.json.error.message).toContain('admin key');
      const wrongs: Record<string, string>[] = [{ authorization: 'Bearer admin-secret-wrong' }, { 'x-admin-key': 'admin-secret-wrong' }];
      for (const wrong of wrongs) {
        const bad = await admin<Envelope>(method, path, wrong);
        expect(bad.status).toBe(401);
        expect(bad.json.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_api_key', param: null });
      }
    }
    // nothing was rotated or reset by the refused calls
    expect(sb!.app.switchboard.providers.get('up')!.pool.current!.index).toBe(0);
    // both ways of presenting the right key work
    expect((await admin('GET', '/v1/tokens/stats', { 'x-admin-key': ADMIN })).status).toBe(200);
    expect((await admin('GET', '/v1/tokens/stats', { authorization: `Bearer ${ADMIN}` })).status).toBe(200);
    // a client key in Authorization beside the admin key in x-admin-key: the admin header wins
    expect((await admin('GET', '/v1/tokens/stats', { authorization: 'Bearer sk-some-client-key', 'x-admin-key': ADMIN })).status).toBe(200);
  });

  it('with no admin key configured the endpoints are disabled, not open', async () => {
    await start({ auth: {} });
    for (const [method, path] of ENDPOINTS) {
      for (const auth of [null, { authorization: 'Bearer anything' }]) {
        const r = await admin<Envelope>(method, path, auth);
        expect(r.status).toBe(401);
        expect(r.json.error.message).toBe('Admin endpoints are disabled: set auth.adminKey to enable them.');
      }
    }
  });
});

describe('GET /v1/tokens/stats', () => {
  it("keeps the seed's fields, masks every key and never shows a secret", async () => {
    await start();
    const before = await admin('GET', '/v1/tokens/stats');
    expect(before.status).toBe(200);
    const s = before.json;
    expect(s.total_tokens).toBe(4);
    expect(s.current_token).toBe(masked(K0));
    expect(s.tokens.map((t: { key: string }) => t.key)).toEqual(KEYS.map(masked));
    expect(s.tokens[0]).toEqual({
      key: masked(K0),
      index: 0,
      isCurrent: true,
      blocked: false,
      blockedUntil: null,
      failures: 0,
      lastUsed: null,
      provider: 'up',
      enabled: true,
      disabledReason: null,
      disabledAt: null,
      requests: 0,
      successes: 0,
      failuresByKind: {},
      consecutiveFailures: 0,
      cooldownReason: null,
      skipRequests: 0,
      tokensIn: 0,
      tokensOut: 0,
      lastError: null,
      lastErrorAt: null,
      inFlight: 0,
      models: {},
    });
    expect(s.tokens.map((t: { isCurrent: boolean }) => t.isCurrent)).toEqual([true, false, false, false]);
    expect(s.providers).toEqual([{ id: 'up', plugin: 'openai-compatible', current_token: masked(K0), total_tokens: 4, breakers: {} }]);

    expect((await chat()).json.choices[0].message.content).toBe(expected);
    const after = await admin('GET', '/v1/tokens/stats');
    for (const k of [...KEYS, ADMIN]) expect(after.text).not.toContain(k);
    const t0 = after.json.tokens[0];
    expect(t0).toMatchObject({ requests: 1, successes: 1, failures: 0, isCurrent: false });
    expect(Date.parse(t0.lastUsed)).toBeGreaterThan(Date.now() - 60_000);
    const usage = fakeUsage({ messages }); // what the fake reported for that one answer
    expect(t0).toMatchObject({ tokensIn: usage.prompt_tokens, tokensOut: usage.completion_tokens });
    expect(t0.models['gpt-4o-mini']).toMatchObject({ requests: 1, successes: 1, failures: 0, cooldownUntil: null, cooldownReason: null, denied: false, observed: null });
    expect(t0.models['gpt-4o-mini'].lastUsed).toBe(t0.lastUsed);
    // round-robin moved on: the next request starts at the second token
    expect(after.json.current_token).toBe(masked(K1));
    expect(after.json.tokens[1].isCurrent).toBe(true);
  });

  it('a 429 with Retry-After shows as a model cooldown; a 401 as blocked and disabled', async () => {
    const clock = new ManualClock(Date.now());
    whenKey([K0], { kind: 'status', status: 429, headers: { 'retry-after': '120' }, body: { error: { message: 'Rate limit reached' } } });
    whenKey([K1], { kind: 'status', status: 401, body: { error: { message: `Bad credentials ${K1}` } } });
    await start({ clock });
    expect((await chat()).status).toBe(200); // K0 429, K1 401, K2 serves
    expect(up.keysSeen()).toEqual([K0, K1, K2]);

    const s = await stats();
    const [t0, t1, t2] = s.tokens;
    expect(t0).toMatchObject({ blocked: false, blockedUntil: null, enabled: true, failures: 1, failuresByKind: { rate_limited: 1 } });
    expect(t0.lastError).toMatch(/^rate_limited: /);
    expect(t0.models['gpt-4o-mini']).toMatchObject({
      cooldownUntil: new Date(clock.now() + 120_000).toISOString(),
      cooldownReason: 'rate limited',
      failures: 1,
    });
    expect(t1).toMatchObject({ blocked: true, blockedUntil: null, enabled: false, disabledReason: 'credential_invalid', failures: 1, failuresByKind: { credential_invalid: 1 } });
    expect(t1.disabledAt).toBe(new Date(clock.now()).toISOString());
    expect(t2).toMatchObject({ blocked: false, successes: 1 });
    expect(JSON.stringify(s)).not.toContain(K1); // the upstream's words were scrubbed

    // the cooldown ends on the clock Switchboard uses
    clock.advance(120_000);
    expect((await stats()).tokens[0].models['gpt-4o-mini']).toMatchObject({ cooldownUntil: null, cooldownReason: null });
  });
});

describe('POST /v1/tokens/rotate', () => {
  it('moves isCurrent, and the next request really starts at that token', async () => {
    await start();
    expect((await stats()).tokens[0].isCurrent).toBe(true);
    const r = await admin('POST', '/v1/tokens/rotate');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ success: true, current_token: masked(K1), providers: [{ id: 'up', current_token: masked(K1) }] });
    expect(r.json.message).toEqual(expect.any(String));
    const s = await stats();
    expect(s.current_token).toBe(masked(K1));
    expect(s.tokens.map((t: { isCurrent: boolean }) => t.isCurrent)).toEqual([false, true, false, false]);

    await chat();
    expect(up.keysSeen()).toEqual([K1]);
    // after K1 the cursor stands at K2; rotating moves it to K3
    await admin('POST', '/v1/tokens/rotate');
    await chat();
    expect(up.keysSeen()).toEqual([K1, K3]);
  });

  it('accepts the empty JSON body scripts often send', async () => {
    await start();
    const res = await fetch(`${sb!.origin}/v1/tokens/rotate`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { current_token: string }).current_token).toBe(masked(K1));
    // the core's JSON parsing is untouched elsewhere
    expect((await chat()).status).toBe(200);
    const bad = await fetch(`${sb!.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } });
    expect(((await bad.json()) as Envelope).error.code).toBe('invalid_json');
  });
});

describe('POST /v1/tokens/reset-stats', () => {
  it('clears counters, cooldowns and disabled flags', async () => {
    whenKey([K0], { kind: 'status', status: 429, headers: { 'retry-after': '600' } });
    whenKey([K1], { kind: 'status', status: 401 });
    await start();
    await chat();
    let s = await stats();
    expect(s.tokens[1].blocked).toBe(true);
    expect(s.tokens[0].models['gpt-4o-mini'].cooldownUntil).not.toBeNull();

    cleanups.splice(0).forEach((off) => off()); // the upstream would take both keys now
    const r = await admin('POST', '/v1/tokens/reset-stats');
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ success: true, message: expect.any(String) });
    s = await stats();
    for (const t of s.tokens) {
      expect(t).toMatchObject({ blocked: false, enabled: true, disabledReason: null, failures: 0, requests: 0, successes: 0, lastUsed: null, models: {} });
    }
    // both come back into rotation
    up.requests.length = 0;
    for (let i = 0; i < 4; i++) await chat();
    expect(new Set(up.keysSeen())).toEqual(new Set(KEYS));
  });

  it('closes an open circuit breaker: the next request reaches the upstream again', async () => {
    await start({ providers: [provider({ breaker: { consecutiveFailures: 1, halfOpenAfterMs: 60_000 } })] });
    up.script({ kind: 'status', status: 500 });
    expect((await chat()).status).toBe(502);
    const open = await chat();
    expect(open.status).toBe(503);
    expect(open.json.error.code).toBe('circuit_open');
    expect(up.requests.filter((r) => r.method === 'POST')).toHaveLength(1); // spared

    const s = await stats();
    const breaker = s.providers[0].breakers['gpt-4o-mini'];
    expect(breaker).toMatchObject({ state: 'open' });
    expect(breaker.retryInMs).toBeGreaterThan(50_000);
    expect(Date.parse(breaker.until) - Date.now()).toBeGreaterThan(50_000);
    expect(s.tokens[0].skipRequests).toBe(5); // the transient failure benched K0 too

    expect((await admin('POST', '/v1/tokens/reset-stats')).json.success).toBe(true);
    const after = await stats();
    expect(after.providers[0].breakers).toEqual({});
    expect(after.tokens[0].skipRequests).toBe(0);
    const ok = await chat();
    expect(ok.status).toBe(200);
    expect(ok.json.choices[0].message.content).toBe(expected);
    expect(up.requests.filter((r) => r.method === 'POST')).toHaveLength(2);
  });
});

describe('POST /v1/tokens/disable and /v1/tokens/enable', () => {
  const AUTH = { authorization: `Bearer ${ADMIN}` };

  it('a disabled token serves nothing until enabled; the stats say why and since when', async () => {
    await start();
    const off = await admin('POST', '/v1/tokens/disable', AUTH, { token: masked(K1), reason: 'leaked in a paste' });
    expect(off.status).toBe(200);
    expect(off.json).toMatchObject({ success: true, token: { key: masked(K1), enabled: false, blocked: true, disabledReason: 'leaked in a paste' } });
    expect(Date.parse(off.json.token.disabledAt)).toBeGreaterThan(Date.now() - 5000);
    for (let i = 0; i < 6; i++) expect((await chat()).status).toBe(200);
    expect(up.keysSeen()).not.toContain(K1);

    const on = await admin('POST', '/v1/tokens/enable', AUTH, { token: masked(K1) });
    expect(on.json).toMatchObject({ success: true, token: { key: masked(K1), enabled: true, blocked: false, disabledReason: null } });
    up.requests.length = 0;
    for (let i = 0; i < 4; i++) await chat();
    expect(new Set(up.keysSeen())).toEqual(new Set(KEYS));
  });

  it('enable brings back a token the upstream refused, its cooldowns cleared; a name or the secret names it too', async () => {
    whenKey([K0], { kind: 'status', status: 401 });
    await start({ providers: [provider(), named()] });
    await chat();
    expect((await stats('?provider=up')).tokens[0]).toMatchObject({ enabled: false, disabledReason: 'credential_invalid' });
    cleanups.splice(0).forEach((off) => off());
    // By the secret itself (what grok2api users paste): accepted, never echoed.
    const on = await admin('POST', '/v1/tokens/enable', AUTH, { token: K0 });
    expect(on.json.token).toMatchObject({ key: masked(K0), enabled: true });
    expect(on.text).not.toContain(K0);
    const byName = await admin('POST', '/v1/tokens/disable?provider=gh', AUTH, { token: 'GITHUB_TOKEN2' });
    expect(byName.json.token).toMatchObject({ key: 'GITHUB_TOKEN2', enabled: false, disabledReason: 'disabled by an admin' });
  });

  it('a missing or unknown token, or a bad reason, is a 400 naming the parameter, without echoing a secret', async () => {
    await start();
    const none = await admin<Envelope>('POST', '/v1/tokens/disable', AUTH, {});
    expect(none.status).toBe(400);
    expect(none.json.error).toMatchObject({ type: 'invalid_request_error', param: 'token' });
    const unknown = await admin<Envelope>('POST', '/v1/tokens/enable', AUTH, { token: 'sk-not-a-pool-key-but-secret-ish' });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error.param).toBe('token');
    expect(unknown.text).not.toContain('sk-not-a-pool-key');
    const reason = await admin<Envelope>('POST', '/v1/tokens/disable', AUTH, { token: masked(K0), reason: 42 });
    expect(reason.json.error.param).toBe('reason');
    expect((await stats()).tokens[0].enabled).toBe(true);
  });
});

describe('POST /v1/tokens/add and /v1/tokens/delete', () => {
  const AUTH = { authorization: `Bearer ${ADMIN}` };
  const NEW = 'sk-added-at-run-time-0123456789wxyz';

  it('added tokens serve at once; a known one is reported, not doubled; deleted ones serve no more', async () => {
    await start();
    const add = await admin('POST', '/v1/tokens/add', AUTH, { tokens: [NEW, { value: 'sk-added-with-a-name-0123456789', name: 'TEAM_KEY', tier: 'super' }, K0] });
    expect(add.status).toBe(200);
    expect(add.json).toMatchObject({ success: true, total_tokens: 6, already_present: [masked(K0)] });
    expect(add.json.added.map((t: { key: string }) => t.key)).toEqual([masked(NEW), 'TEAM_KEY']);
    expect(add.text).not.toContain(NEW);
    expect(sb!.app.switchboard.providers.get('up')!.pool.snapshot().find((c) => c.id === 'TEAM_KEY')?.tier).toBe('super'); // for providers that rank by tier
    for (let i = 0; i < 6; i++) expect((await chat()).status).toBe(200);
    expect(new Set(up.keysSeen())).toEqual(new Set([...KEYS, NEW, 'sk-added-with-a-name-0123456789']));

    const del = await admin('POST', '/v1/tokens/delete', AUTH, { tokens: [masked(K1), 'TEAM_KEY'] });
    expect(del.json).toMatchObject({ success: true, deleted: [masked(K1), 'TEAM_KEY'], total_tokens: 4 });
    up.requests.length = 0;
    for (let i = 0; i < 8; i++) expect((await chat()).status).toBe(200);
    expect(new Set(up.keysSeen())).toEqual(new Set([K0, K2, K3, NEW]));
    expect((await stats()).tokens.map((t: { key: string }) => t.key)).toEqual([K0, K2, K3, NEW].map(masked));
  });

  it('what was added and deleted survives a restart (state file), configured tokens included', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'swb-tokens-'));
    const withFile = { state: { driver: 'file', path: join(dir, 'state.json'), debounceMs: 10 } };
    const boot = async () => {
      sb = await startSwitchboard({ auth: { adminKey: ADMIN }, plugins: { 'token-admin': {} }, providers: [provider()], models: { m: 'up/gpt-4o-mini' }, ...withFile });
    };
    await boot();
    await admin('POST', '/v1/tokens/add', AUTH, { tokens: [NEW] });
    await admin('POST', '/v1/tokens/delete', AUTH, { tokens: [masked(K3)] });
    await sb!.close();
    await boot();
    expect((await stats()).tokens.map((t: { key: string }) => t.key)).toEqual([K0, K1, K2, NEW].map(masked));
    // Deleted for good, yet it may come back by name of its secret.
    await admin('POST', '/v1/tokens/add', AUTH, { tokens: [K3] });
    expect((await stats()).total_tokens).toBe(5);
    await rm(dir, { recursive: true, force: true });
  });

  it('bad input is a 400 naming the parameter, and changes nothing', async () => {
    await start({ providers: [provider(), named()] });
    const cases: [string, unknown, string][] = [
      ['/v1/tokens/add?provider=up', {}, 'tokens'],
      ['/v1/tokens/add?provider=up', { tokens: [] }, 'tokens'],
      ['/v1/tokens/add?provider=up', { tokens: ['sk-bad\r\nx-injected: 1'] }, 'tokens[0]'],
      ['/v1/tokens/add?provider=up', { tokens: [{ value: 'sk-fine-0123456789abcdef', name: '' }] }, 'tokens[0].name'],
      ['/v1/tokens/add?provider=up', { tokens: ['sk-fine-0123456789abcdef', { value: 'sk-fine-0123456789abcdeg', tier: 'super duper' }] }, 'tokens[1].tier'],
      ['/v1/tokens/add', { tokens: [NEW] }, 'provider'], // two pools: which one?
      ['/v1/tokens/delete', { tokens: ['nope'] }, 'token'],
      ['/v1/tokens/delete?provider=gh', { tokens: ['GITHUB_TOKEN', 'GITHUB_TOKEN2'] }, 'tokens'], // would empty the pool
    ];
    for (const [path, body, param] of cases) {
      const r = await admin<Envelope>('POST', path, AUTH, body);
      expect(r.status, path).toBe(400);
      expect(r.json.error.param, JSON.stringify(body)).toBe(param);
    }
    expect((await stats()).total_tokens).toBe(6);
  });
});

describe('?provider=', () => {
  it('selects one pool; default is every pool; an unknown id is a 400 naming the known ones', async () => {
    await start({ providers: [provider(), named()] });
    const all = await stats();
    expect(all.total_tokens).toBe(6);
    expect(all.current_token).toBe(masked(K0));
    expect(all.providers.map((p: { id: string; total_tokens: number }) => [p.id, p.total_tokens])).toEqual([
      ['up', 4],
      ['gh', 2],
    ]);
    expect(all.tokens.map((t: { provider: string; index: number }) => `${t.provider}:${t.index}`)).toEqual(['up:0', 'up:1', 'up:2', 'up:3', 'gh:0', 'gh:1']);

    const gh = await stats('?provider=gh');
    expect(gh.total_tokens).toBe(2);
    expect(gh.current_token).toBe('GITHUB_TOKEN');
    expect(gh.tokens.map((t: { key: string }) => t.key)).toEqual(['GITHUB_TOKEN', 'GITHUB_TOKEN2']);
    expect(gh.providers).toHaveLength(1);
    expect(gh.providers[0]).toMatchObject({ id: 'gh', plugin: 'openai-compatible', current_token: 'GITHUB_TOKEN' });

    // rotate one pool only
    const r = await admin('POST', '/v1/tokens/rotate?provider=gh');
    expect(r.json).toMatchObject({ success: true, current_token: 'GITHUB_TOKEN2' });
    expect((await stats()).providers.map((p: { current_token: string }) => p.current_token)).toEqual([masked(K0), 'GITHUB_TOKEN2']);
    // rotate every pool
    const both = await admin('POST', '/v1/tokens/rotate');
    expect(both.json.providers).toEqual([
      { id: 'up', current_token: masked(K1) },
      { id: 'gh', current_token: 'GITHUB_TOKEN' },
    ]);
    // a JSON body may name the provider too
    const viaBody = await fetch(`${sb!.origin}/v1/tokens/rotate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'gh' }),
    });
    expect(((await viaBody.json()) as { providers: unknown[] }).providers).toEqual([{ id: 'gh', current_token: 'GITHUB_TOKEN2' }]);

    // reset one pool only
    up.script({ kind: 'status', status: 500 });
    await chat('gh/gpt-4o-mini');
    await chat('up/gpt-4o'); // K1 serves, counted in up
    await admin('POST', '/v1/tokens/reset-stats?provider=gh');
    const afterReset = await stats();
    expect(afterReset.tokens.filter((t: { provider: string }) => t.provider === 'gh').every((t: { requests: number }) => t.requests === 0)).toBe(true);
    expect(afterReset.tokens.find((t: { provider: string; requests: number }) => t.provider === 'up' && t.requests === 1)).toBeDefined();

    for (const [method, path] of ENDPOINTS.filter(([, p]) => p !== '/v1/admin/reload')) {
      for (const q of ['?provider=nope', '?provider=up&provider=gh']) {
        const bad = await admin<Envelope>(method, `${path}${q}`);
        expect(bad.status, `${method} ${path}${q}`).toBe(400);
        expect(bad.json.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_value', param: 'provider' });
        expect(bad.json.error.message).toContain('known: up, gh');
      }
    }
    expect((await admin<Envelope>('GET', '/v1/tokens/stats?provider=nope')).json.error.message).toBe('Unknown provider "nope"; known: up, gh.');
  });
});

describe('GET /v1/rate-limits/observed', () => {
  it('a 429 cuts the guess from 30 to 18 and sets last429At; header limits show as hardCap and per token', async () => {
    const clock = new ManualClock(Date.now());
    whenKey([K0], { kind: 'status', status: 429, headers: { 'retry-after': '30' } });
    const limits = { 'x-ratelimit-limit-requests': '15', 'x-ratelimit-remaining-requests': '14', 'x-ratelimit-limit-tokens': '8000', 'x-ratelimit-remaining-tokens': '7990', 'x-ratelimit-reset-requests': '4s' };
    await start({ clock });
    const empty = await admin('GET', '/v1/rate-limits/observed');
    expect(empty.status).toBe(200);
    expect(empty.json).toEqual({ adaptive: true, window_seconds: 60, data: {} });

    up.script({ kind: 'ok', headers: limits }); // K0's 429 comes from its rule; K1 gets this
    expect((await chat()).status).toBe(200);
    const at = new Date(clock.now()).toISOString();
    const o = await observed();
    expect(o.adaptive).toBe(true);
    expect(o.window_seconds).toBe(60);
    expect(Object.keys(o.data)).toEqual(['gpt-4o-mini']);
    const m = o.data['gpt-4o-mini'];
    expect(m).toMatchObject({ guess: 18, hardCap: 15, last429At: at, updated_at: at, provider: 'up', model: 'gpt-4o-mini' });
    expect(m.tokens[masked(K0)]).toEqual({
      limitRequests: null,
      remainingRequests: null,
      limitTokens: null,
      remainingTokens: null,
      resetAt: null,
      last429At: at,
      last429Type: null,
      updated_at: at,
    });
    expect(m.tokens[masked(K1)]).toMatchObject({ limitRequests: 15, remainingRequests: 14, limitTokens: 8000, remainingTokens: 7990, last429At: null, updated_at: at });
    expect(Date.parse(m.tokens[masked(K1)].resetAt)).toBeGreaterThan(Date.now());
    expect(Object.keys(m.tokens)).toEqual([masked(K0), masked(K1)]);

    // a second 429 within 30 s does not cut again; one after 30 s does (18 x 0.6)
    whenKey([K2], { kind: 'status', status: 429, headers: { 'retry-after': '30' } });
    clock.advance(10_000);
    await chat(); // K2 429, K3 serves
    expect((await observed()).data['gpt-4o-mini']).toMatchObject({ guess: 18, last429At: new Date(clock.now()).toISOString() });
    clock.advance(30_000);
    await chat(); // K0 (cooled down) 429 again, K1 serves
    const later = (await observed()).data['gpt-4o-mini'];
    expect(later).toMatchObject({ guess: 10.8, hardCap: 15, last429At: new Date(clock.now()).toISOString() });
    expect(Object.keys(later.tokens)).toEqual([masked(K0), masked(K1), masked(K2)]);

    // reset-stats starts the tokens afresh but keeps the estimate learned from the upstream
    await admin('POST', '/v1/tokens/reset-stats');
    expect((await observed()).data['gpt-4o-mini']).toMatchObject({ guess: 10.8, hardCap: 15 });
  });

  it('keys a model two providers share as <provider>/<model> for the later one; ?provider= picks one', async () => {
    whenKey([K0, 'ghp_named0000000000000000aaaa'], { kind: 'status', status: 429, headers: { 'retry-after': '30' } });
    await start({ providers: [provider(), named()] });
    await chat('up/gpt-4o-mini');
    await chat('gh/gpt-4o-mini');
    const o = await observed();
    expect(Object.keys(o.data)).toEqual(['gpt-4o-mini', 'gh/gpt-4o-mini']);
    expect(o.data['gpt-4o-mini']).toMatchObject({ provider: 'up', model: 'gpt-4o-mini', guess: 18 });
    expect(Object.keys(o.data['gpt-4o-mini'].tokens)).toEqual([masked(K0)]);
    expect(o.data['gh/gpt-4o-mini']).toMatchObject({ provider: 'gh', model: 'gpt-4o-mini', guess: 18 });
    expect(Object.keys(o.data['gh/gpt-4o-mini'].tokens)).toEqual(['GITHUB_TOKEN']);
    const gh = await observed('?provider=gh');
    expect(Object.keys(gh.data)).toEqual(['gpt-4o-mini']);
    expect(gh.data['gpt-4o-mini'].provider).toBe('gh');
  });
});

describe("the seed's shell checks, with the admin key", () => {
  it('models, a chat, token stats, a rotation', async () => {
    await start();
    const headers = { authorization: `Bearer ${ADMIN}` };
    // curl /v1/models | jq '.data[].id'
    const models = (await (await fetch(`${sb!.baseURL}/models`)).json()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id)).toEqual(['m', 'up/gpt-4o-mini', 'up/gpt-4o']); // the alias, then the provider's models
    // curl -X POST /v1/chat/completions ... | jq '.choices[0].message.content'
    const res = await fetch(`${sb!.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], stream: false, max_tokens: 5 }),
    });
    const content = ((await res.json()) as { choices: { message: { content: string } }[] }).choices[0].message.content;
    expect(content).toBe(defaultReply({ messages: [{ role: 'user', content: 'Hi' }] }));
    // curl /v1/tokens/stats | jq '.total_tokens'
    expect(((await (await fetch(`${sb!.baseURL}/tokens/stats`, { headers })).json()) as { total_tokens: number }).total_tokens).toBe(4);
    // curl -X POST /v1/tokens/rotate | jq '.success'
    expect(((await (await fetch(`${sb!.baseURL}/tokens/rotate`, { method: 'POST', headers })).json()) as { success: boolean }).success).toBe(true);
  });
});

describe('regressions', () => {
  it('regression: a keyless mock provider beside a pool is not counted, shown or rotated by the token endpoints', async () => {
    await start({ providers: [provider(), { id: 'mock', plugin: 'mock' }] });
    const all = await stats();
    expect(all.total_tokens).toBe(4);
    expect(all.current_token).toBe(masked(K0));
    expect(all.tokens.map((t: { provider: string }) => t.provider)).toEqual(['up', 'up', 'up', 'up']);
    expect(all.providers.map((p: { id: string }) => p.id)).toEqual(['up']);
    const rotated = await admin('POST', '/v1/tokens/rotate');
    expect(rotated.json.providers).toEqual([{ id: 'up', current_token: masked(K1) }]);
    expect(rotated.text).not.toContain('mock');
    expect(rotated.text).not.toContain('(no credential)');
    expect((await admin('POST', '/v1/tokens/reset-stats')).json.message).toContain('of 4 token(s)');
    // Named explicitly, the keyless provider is told to have no tokens.
    const mock = await admin<Envelope>('GET', '/v1/tokens/stats?provider=mock');
    expect(mock.status).toBe(400);
    expect(mock.json.error).toMatchObject({ code: 'invalid_value', param: 'provider' });
    expect(mock.json.error.message).toContain('configured without credentials');
  });

  it('regression: shown ids are unique in a pool (short keys, cookies that end alike); an ambiguous name is a 409 listing the candidates', async () => {
    const SHORT = ['abc123', 'xyz789'];
    const ALIKE = ['sk-first-aaaaaaaaaaaa-9999', 'sk-second-bbbbbbbbbbbb-9999'];
    const COOKIES = ['sso=aaaaaaaaaaaaaaaa; x-token', 'sso=bbbbbbbbbbbbbbbb; x-token'];
    await start({ providers: [provider({ credentials: [...SHORT, ...ALIKE, ...COOKIES] })] });
    const ids: string[] = (await stats()).tokens.map((t: { key: string }) => t.key);
    expect(new Set(ids).size).toBe(6);
    expect(ids[0]).toMatch(/^…·[0-9a-f]{4}$/); // nothing of a short secret
    expect(ids[2]).toMatch(/^sk-…9999·[0-9a-f]{4}$/);
    expect(ids[4]).toMatch(/^…oken·[0-9a-f]{4}$/);
    for (const s of [...SHORT, ...ALIKE, ...COOKIES]) expect(JSON.stringify(ids)).not.toContain(s);
    // Stable across restarts.
    await sb!.close();
    await start({ providers: [provider({ credentials: [...SHORT, ...ALIKE, ...COOKIES] })] });
    expect((await stats()).tokens.map((t: { key: string }) => t.key)).toEqual(ids);

    // The old, ambiguous form names two tokens: refused, listing both, nothing changed.
    for (const [path, body] of [
      ['/v1/tokens/disable', { token: 'sk-…9999' }],
      ['/v1/tokens/enable', { token: '…oken' }],
      ['/v1/tokens/delete', { tokens: ['…'] }],
    ] as const) {
      const r = await admin<Envelope>('POST', path, undefined, body);
      expect(r.status, path).toBe(409);
      expect(r.json.error, path).toMatchObject({ type: 'invalid_request_error', code: 'ambiguous_token', param: 'token' });
    }
    const r = await admin<Envelope>('POST', '/v1/tokens/disable', undefined, { token: 'sk-…9999' });
    expect(r.json.error.message).toContain(`(${ids[2]}, ${ids[3]})`);
    expect((await stats()).tokens.every((t: { enabled: boolean }) => t.enabled)).toBe(true);
    expect((await stats()).total_tokens).toBe(6);
    // The unique id names exactly one.
    expect((await admin('POST', '/v1/tokens/disable', undefined, { token: ids[3] })).status).toBe(200);
    expect((await stats()).tokens.map((t: { enabled: boolean }) => t.enabled)).toEqual([true, true, true, false, true, true]);
  });

  it('regression: a secret in two pools named without a provider is a 409 listing both', async () => {
    await start({ providers: [provider(), { ...provider(), id: 'other' }] });
    const r = await admin<Envelope>('POST', '/v1/tokens/disable', undefined, { token: K2 });
    expect(r.status).toBe(409);
    expect(r.json.error.message).toContain(`up: ${masked(K2)}, other: ${masked(K2)}`);
    expect(r.text).not.toContain(K2);
  });
});
