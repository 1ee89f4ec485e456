/**
 * `state.driver: redis` against the real Redis (REDIS_URL, default redis://127.0.0.1:6379): two
 * Switchboard instances in this process share one fake upstream and one Redis, and must act as
 * one gateway: throttle intervals and cooldowns hold across them, state survives restarts, and a
 * Redis that goes away degrades to local decisions and comes back.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { stringify } from 'yaml';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bearerOf, type FakeOpenAI } from './fakes/openai-upstream.js';
import { startSwitchboard, type RunningSwitchboard } from './helpers/switchboard.js';
import { startRedis, stopRedis } from './helpers/redis-server.js';
import { useFakeOpenAI, useSwitchboards } from './helpers/lifecycle.js';
import { freshRecord, type CredentialRecord } from '../core/state/records.js';
import { DocumentSync } from '../core/state/redis-sync.js';
import { SYNC_LUA, type SyncingRedis } from '../core/state/sync-script.js';
import { maskSecret } from '../core/pool/credentials.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const KEYS = ['sk-redis-key-aaaa1111', 'sk-redis-key-bbbb2222', 'sk-redis-key-cccc3333', 'sk-redis-key-dddd4444'];

let upstream: FakeOpenAI;
let redis: Redis;
const prefixes: string[] = [];

// One fake upstream, clean for every test (its script and rules too); each test's instances closed after it.
const fake = useFakeOpenAI();
const switchboards = useSwitchboards();
beforeEach(() => {
  upstream = fake.up;
});
beforeAll(async () => {
  redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect(); // no Redis is a failure here, not a skip: CI starts one
});
afterAll(async () => {
  for (const p of prefixes) {
    const keys = await redis.keys(`${p}*`);
    if (keys.length) await redis.del(...keys);
  }
  redis.disconnect();
});

const ADMIN = 'admin-key-for-redis-tests';
const SYNC_MS = 100;
/** How long news from one instance may take to show on another: quick when quiet, generous for a loaded machine. */
const SOON = 5000;

/**
 * Commands time out after 2 s: a loaded machine can keep a healthy Redis's answer from being read
 * for a few hundred ms, and a test not about outages must not find itself degraded. The tests of
 * a frozen Redis ask for {@link STALL}.
 */
function config(prefix: string, provider: Record<string, unknown> = {}, url = REDIS_URL, state: Record<string, unknown> = {}) {
  return {
    state: { driver: 'redis', url, keyPrefix: prefix, syncIntervalMs: SYNC_MS, commandTimeoutMs: 2000, connectTimeoutMs: 1000, ...state },
    auth: { adminKey: ADMIN },
    providers: [{ id: 'up', plugin: 'openai-compatible', baseUrl: upstream.url, credentials: KEYS, retry: { attempts: 1 }, ...provider }],
    models: { 'gpt-4o-mini': 'up/gpt-4o-mini' },
    plugins: { 'token-admin': {} },
  };
}

async function admin(sb: RunningSwitchboard, path: string, method = 'GET', body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${sb.baseURL}${path}`, {
    method,
    headers: { 'x-admin-key': ADMIN, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

/**
 * Bring the instances' shared state together now instead of sleeping through sync ticks: a stats
 * read is a full sync (send what changed here, take in the rest), so one round sends every
 * instance's counts and a second has every instance read them all.
 */
async function converge(...sbs: RunningSwitchboard[]): Promise<void> {
  for (let round = 0; round < 2; round++) for (const sb of sbs) expect((await admin(sb, '/tokens/stats')).status).toBe(200);
}

const STALL = { commandTimeoutMs: 300 };

async function instance(prefix: string, provider: Record<string, unknown> = {}, url?: string, state?: Record<string, unknown>): Promise<RunningSwitchboard> {
  return switchboards.start(config(prefix, provider, url, state));
}

async function fromFile(file: string): Promise<RunningSwitchboard> {
  return switchboards.start(undefined, { file });
}

function newPrefix(): string {
  const p = `sbtest:${randomUUID()}:`;
  prefixes.push(p);
  return p;
}

async function chat(sb: RunningSwitchboard, text = 'hi'): Promise<Response> {
  return fetch(`${sb.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }] }),
  });
}

/** Report every start `sb`'s shared gate admits: the credential's key and Redis's time of it. */
function observeAdmissions(sb: RunningSwitchboard, seen: (credential: string, at: number) => void): void {
  const gate = sb.app.switchboard.store.gate!;
  const reserve = gate.reserve.bind(gate);
  gate.reserve = async (req) => {
    const v = await reserve(req);
    if (v.ok) seen(req.credential, v.at!);
    return v;
  };
}

const chatRequests = () => upstream.requests.filter((r) => r.path.endsWith('/chat/completions'));

describe('redis state driver: two instances, one gateway', () => {
  it('200 requests over two instances never start on one credential closer than its interval', async () => {
    const prefix = newPrefix();
    const interval = 50;
    const throttle = { minIntervalMs: interval, queueLimit: 500, queueTimeoutMs: 30_000 };
    const [a, b] = [await instance(prefix, { throttle }), await instance(prefix, { throttle })];
    // Start times as the gate admits them, on Redis's clock (the one that decides): the upstream's
    // arrival stamps add a hop through an event loop shared by two gateways, the clients and the
    // upstream, which under load made an on-time start look early.
    const admitted = new Map<string, number[]>();
    for (const sb of [a, b]) observeAdmissions(sb, (credential, at) => admitted.set(credential, [...(admitted.get(credential) ?? []), at]));
    let next = 0;
    const ok = new Map([[a, 0], [b, 0]]);
    // Four clients at once, alternating between the instances.
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < 200) {
          const i = next++;
          const sb = i % 2 ? a : b;
          const res = await chat(sb, `q${i}`);
          if (res.status === 200) ok.set(sb, ok.get(sb)! + 1);
          await res.arrayBuffer();
        }
      }),
    );
    // Both instances served half (the proof that the interval held across them, not within one).
    expect([ok.get(a), ok.get(b)]).toEqual([100, 100]);
    expect(chatRequests()).toHaveLength(200);
    expect([...admitted.values()].reduce((n, t) => n + t.length, 0)).toBe(200);
    expect(admitted.size).toBe(KEYS.length);
    let closest = Infinity;
    for (const times of admitted.values()) {
      times.sort((x, y) => x - y);
      for (let i = 1; i < times.length; i++) closest = Math.min(closest, times[i] - times[i - 1]);
    }
    // Without the shared gate the two instances throttle apart: starts on one credential 0-1 ms apart.
    expect(closest).toBeGreaterThanOrEqual(interval);
  }, 60_000);

  it('stats read from either instance agree: counts add up across instances', async () => {
    const prefix = newPrefix();
    const [a, b] = [await instance(prefix), await instance(prefix)];
    // Key 2 fails with a 500 whoever sends to it: failures by kind must add up too.
    const off = upstream.whenKey([KEYS[2]], { kind: 'status', status: 500, body: { error: { message: 'upstream broke' } } });
    let answered = 0;
    try {
      await Promise.all(
        Array.from({ length: 4 }, async (_, c) => {
          for (let i = 0; i < 15; i++) {
            const res = await chat(c % 2 ? a : b, `c${c}q${i}`);
            if (res.status === 200) answered++;
            await res.arrayBuffer();
          }
        }),
      );
    } finally {
      off();
    }
    const upstreamSaw = chatRequests().length;
    await converge(a, b);
    const [fromA, fromB] = [await admin(a, '/tokens/stats'), await admin(b, '/tokens/stats')];
    expect(fromA.status).toBe(200);
    // The cursor (`isCurrent`) and requests in flight are each instance's own; all else is shared.
    const shared = (s: any) => s.tokens.map(({ isCurrent: _c, inFlight: _f, ...rest }: Record<string, unknown>) => rest);
    expect(shared(fromA.json)).toEqual(shared(fromB.json));
    const sum = (s: any, f: string) => s.tokens.reduce((n: number, t: any) => n + t[f], 0);
    // Every upstream attempt counted once, whichever instance made it.
    expect(sum(fromA.json, 'requests')).toBe(upstreamSaw);
    expect(sum(fromA.json, 'successes')).toBe(answered);
    const broken = fromA.json.tokens.find((t: any) => t.key === maskSecret(KEYS[2]));
    expect(broken.failuresByKind.transient).toBe(upstreamSaw - answered);
    expect(broken.failuresByKind.transient).toBeGreaterThan(0);
    expect(fromA.json.state).toEqual({ driver: 'redis', degraded: false });
  });

  // Without a throttle an instance asks Redis nothing before a request: it hears of cooldowns by
  // pub/sub. With one, the gate's script also refuses a cooling credential.
  it.each([
    ['no throttle', {}],
    ['a throttle', { throttle: { minIntervalMs: 1 } }],
  ])('a 429 cooldown set through instance A is respected by instance B (%s)', async (_, provider) => {
    const prefix = newPrefix();
    const [a, b] = [await instance(prefix, provider), await instance(prefix, provider)];
    const off = upstream.whenKey([KEYS[0]], { kind: 'status', status: 429, body: { error: { message: 'Rate limit reached', type: 'requests' } }, headers: { 'retry-after': '60' } });
    try {
      expect((await chat(a)).status).toBe(200); // KEYS[0] refused, the next key served
      // Without a throttle B hears of the cooldown by pub/sub, which is asynchronous: the claim is
      // that it arrives promptly and is then honoured, not that it beats B's next request.
      const cooling = () => (b.app.switchboard.providers.get('up')!.pool.snapshot().find((c) => c.id === maskSecret(KEYS[0]))?.models['gpt-4o-mini']?.cooldownUntil ?? 0) > Date.now();
      if (!('throttle' in provider)) await waitFor(async () => cooling(), SOON);
      const before = chatRequests().length;
      for (let i = 0; i < 8; i++) expect((await chat(b)).status).toBe(200);
      const seenByB = chatRequests().slice(before).map(bearerOf);
      expect(seenByB).toHaveLength(8);
      expect(seenByB).not.toContain(KEYS[0]);
      const view = b.app.switchboard.providers.get('up')!.pool.snapshot().find((c) => c.id === maskSecret(KEYS[0]))!;
      // B learned the cooldown from Redis: it shows in B's own stats, with A's wait.
      expect(view.models['gpt-4o-mini'].cooldownUntil! - Date.now()).toBeGreaterThan(55_000);
    } finally {
      off();
    }
  });

  it('a quota the upstream reported is counted down by both instances together', async () => {
    const prefix = newPrefix();
    // A throttle, and requests at once from both: the gate refuses some starts, which must not count.
    const one = { credentials: [KEYS[0]], throttle: { minIntervalMs: 20 } };
    const [a, b] = [await instance(prefix, one), await instance(prefix, one)];
    upstream.script({ kind: 'ok', headers: { 'x-ratelimit-remaining-requests': '10', 'x-ratelimit-limit-requests': '10' } });
    expect((await chat(a)).status).toBe(200);
    await converge(a, b); // B has heard what the upstream said
    const statuses = await Promise.all([a, b, a, b, a, b].map(async (sb) => (await chat(sb)).status));
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    await converge(a, b);
    for (const sb of [a, b]) {
      const model = (await admin(sb, '/tokens/stats')).json.tokens[0].models['gpt-4o-mini'];
      expect(model.observed).toMatchObject({ limitRequests: 10, remainingRequests: 4 }); // 10 - 6 started since
    }
  });

  it('request windows count across instances: 5 per key per minute means 20 over 4 keys, not 40', async () => {
    const prefix = newPrefix();
    const throttle = { windows: [{ requests: 5, windowMs: 60_000 }] };
    const [a, b] = [await instance(prefix, { throttle }), await instance(prefix, { throttle })];
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await chat(i % 2 ? a : b)).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(20);
    expect(statuses.slice(20)).toEqual(Array(10).fill(429));
    const perKey = new Map<string, number>();
    for (const r of chatRequests()) perKey.set(bearerOf(r), (perKey.get(bearerOf(r)) ?? 0) + 1);
    expect([...perKey.values()]).toEqual([5, 5, 5, 5]);
    const res = await chat(a);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(50);
    expect(((await res.json()) as any).error.message).toContain('request window full (5 per 1min)');
  });

  it('admin actions on one instance hold on the other promptly (pub/sub, not the sync tick)', async () => {
    const prefix = newPrefix();
    const [a, b] = [await instance(prefix), await instance(prefix)];
    const keyOf = maskSecret;
    const within = (what: () => Promise<boolean>) => waitFor(what, SOON);
    const tokenOn = async (sb: RunningSwitchboard, k: string) => (await admin(sb, '/tokens/stats')).json.tokens.find((t: any) => t.key === keyOf(k));

    // Disable through A: B stops using the key.
    expect((await admin(a, '/tokens/disable', 'POST', { token: keyOf(KEYS[1]), reason: 'rotating it out' })).status).toBe(200);
    await within(async () => (await tokenOn(b, KEYS[1])).enabled === false);
    expect((await tokenOn(b, KEYS[1])).disabledReason).toBe('rotating it out');
    upstream.requests.length = 0;
    for (let i = 0; i < 8; i++) expect((await chat(b)).status).toBe(200);
    expect(chatRequests().map(bearerOf)).not.toContain(KEYS[1]);

    // Enable through B: A uses it again.
    await admin(b, '/tokens/enable', 'POST', { token: keyOf(KEYS[1]) });
    await within(async () => (await tokenOn(a, KEYS[1])).enabled === true);
    upstream.requests.length = 0;
    for (let i = 0; i < 4; i++) await chat(a);
    expect(chatRequests().map(bearerOf)).toContain(KEYS[1]);

    // Rotate on A: B's next request starts at the same token.
    const rotated = (await admin(a, '/tokens/rotate', 'POST')).json.current_token;
    await within(async () => (await admin(b, '/tokens/stats')).json.current_token === rotated);

    // Reset through B at once, before A has sent its latest counts: they go too, on both.
    for (let i = 0; i < 4; i++) await chat(a);
    await admin(b, '/tokens/reset-stats', 'POST');
    const zero = async (sb: RunningSwitchboard) => (await admin(sb, '/tokens/stats')).json.tokens.every((t: any) => t.requests === 0 && t.enabled);
    await within(async () => (await zero(a)) && (await zero(b)));
    await converge(a, b); // A's counts from before the reset were sent: they must not come back
    expect([await zero(a), await zero(b)]).toEqual([true, true]); // and nothing counted before comes back
    // What is counted after the reset adds up as before.
    for (let i = 0; i < 3; i++) await chat(a);
    for (let i = 0; i < 2; i++) await chat(b);
    await converge(a, b);
    const total = async (sb: RunningSwitchboard) => (await admin(sb, '/tokens/stats')).json.tokens.reduce((n: number, t: any) => n + t.requests, 0);
    expect([await total(a), await total(b)]).toEqual([5, 5]);
  });

  it('credentials added or deleted through one instance serve, or stop, on the other promptly', async () => {
    const prefix = newPrefix();
    const [a, b] = [await instance(prefix), await instance(prefix)];
    const NEW = 'sk-redis-added-at-run-time-eeee5555';
    expect((await admin(a, '/tokens/add', 'POST', { tokens: [NEW] })).json.total_tokens).toBe(5);
    await waitFor(async () => (await admin(b, '/tokens/stats')).json.total_tokens === 5, SOON);
    upstream.requests.length = 0;
    for (let i = 0; i < 5; i++) expect((await chat(b)).status).toBe(200);
    expect(chatRequests().map(bearerOf)).toContain(NEW);

    await admin(b, '/tokens/delete', 'POST', { tokens: [`sk-…${NEW.slice(-4)}`, `sk-…${KEYS[0].slice(-4)}`] });
    await waitFor(async () => (await admin(a, '/tokens/stats')).json.total_tokens === 3, SOON);
    upstream.requests.length = 0;
    for (let i = 0; i < 6; i++) expect((await chat(a)).status).toBe(200);
    expect(new Set(chatRequests().map(bearerOf))).toEqual(new Set(KEYS.slice(1)));
    // A third instance started now, from the same config, has the same pool.
    const c = await instance(prefix);
    expect((await admin(c, '/tokens/stats')).json.tokens.map((t: any) => t.key)).toEqual(KEYS.slice(1).map(maskSecret));
  });

  it('a config reload asked of one instance reloads every instance', async () => {
    const prefix = newPrefix();
    const dir = await mkdtemp(join(tmpdir(), 'swb-redis-reload-'));
    const file = join(dir, 'config.yaml');
    try {
      await writeFile(file, stringify(config(prefix)));
      const [a, b] = [await fromFile(file), await fromFile(file)];
      await writeFile(file, stringify(config(prefix, { credentials: KEYS.slice(0, 2) })));
      const r = await admin(a, '/admin/reload', 'POST');
      expect(r.json).toMatchObject({ success: true, applied: ['providers.up.credentials'] });
      await waitFor(async () => (await admin(b, '/tokens/stats')).json.total_tokens === 2, SOON);
      upstream.requests.length = 0;
      for (let i = 0; i < 4; i++) expect((await chat(b)).status).toBe(200);
      expect(new Set(chatRequests().map(bearerOf))).toEqual(new Set(KEYS.slice(0, 2)));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a breaker opened on one instance holds the other off that model; a reset closes both', async () => {
    const prefix = newPrefix();
    const breaker = { consecutiveFailures: 2, halfOpenAfterMs: 60_000 };
    const cooldowns = { transientSkipRequests: 0 };
    const [a, b] = [await instance(prefix, { breaker, cooldowns }), await instance(prefix, { breaker, cooldowns })];
    const off = upstream.rule(() => ({ kind: 'status', status: 500, body: { error: { message: 'down' } } }));
    try {
      expect((await chat(a)).status).toBe(502);
      expect((await chat(a)).status).toBe(502); // A's breaker opens
      const sent = chatRequests().length;
      await waitFor(async () => (await admin(b, '/tokens/stats')).json.providers[0].breakers['gpt-4o-mini']?.state === 'open', SOON);
      const res = await chat(b);
      expect(res.status).toBe(503);
      expect(((await res.json()) as any).error.code).toBe('circuit_open');
      expect(chatRequests().length).toBe(sent); // B spared the upstream
      const late = await instance(prefix, { breaker, cooldowns }); // started after: learns it from Redis
      expect((await chat(late)).status).toBe(503);
    } finally {
      off();
    }
    await admin(a, '/tokens/reset-stats', 'POST');
    await waitFor(async () => Object.keys((await admin(b, '/tokens/stats')).json.providers[0].breakers).length === 0, SOON);
    expect((await chat(b)).status).toBe(200);
  });

  it('the state survives a restart of both instances', async () => {
    const prefix = newPrefix();
    let a = await instance(prefix);
    for (let i = 0; i < 6; i++) expect((await chat(a)).status).toBe(200);
    await a.close();
    a = await instance(prefix);
    const b = await instance(prefix);
    for (const sb of [a, b]) {
      const total = sb.app.switchboard.providers.get('up')!.pool.snapshot().reduce((n, c) => n + c.requests, 0);
      expect(total).toBe(6);
    }
  });

  it('an unreachable Redis at start-up is a clear error naming the URL, password masked', async () => {
    const port = await freePort();
    await expect(startSwitchboard(config(newPrefix(), {}, `redis://:hunter2@127.0.0.1:${port}`))).rejects.toThrow(
      new RegExp(`cannot reach Redis at redis://:\\*\\*\\*\\*@127\\.0\\.0\\.1:${port}`),
    );
    await expect(startSwitchboard(config(newPrefix(), {}, `redis://:hunter2@127.0.0.1:${port}`))).rejects.not.toThrow(/hunter2/);
  });

  it('Redis stopped mid-run: requests go on, /readyz says degraded, one warning; Redis back: reconverged', async () => {
    const port = await freePort();
    let server = await startRedis(port);
    try {
      const prefix = newPrefix();
      const url = `redis://127.0.0.1:${port}`;
      const sb = await instance(prefix, {}, url);
      expect((await chat(sb)).status).toBe(200);
      expect(await readyz(sb)).toMatchObject({ state: 'redis', degraded: false });
      await stopRedis(server);
      for (let i = 0; i < 5; i++) expect((await chat(sb)).status).toBe(200);
      expect(await readyz(sb)).toMatchObject({ degraded: true });
      expect((await admin(sb, '/tokens/stats')).json.state).toEqual({ driver: 'redis', degraded: true });
      expect(sb.logs.filter((l) => String(l.msg).startsWith('Redis is unreachable'))).toHaveLength(1);
      server = await startRedis(port); // empty: what this instance knows must reach it again
      await waitFor(async () => (await readyz(sb)).degraded === false, 10_000);
      expect(sb.logs.filter((l) => String(l.msg).startsWith('Redis is back'))).toHaveLength(1);
      expect((await chat(sb)).status).toBe(200);
      // Reconverged: an instance started now sees every request, those made during the outage too.
      await converge(sb);
      const late = await instance(prefix, {}, url);
      const total = (await admin(late, '/tokens/stats')).json.tokens.reduce((n: number, t: any) => n + t.requests, 0);
      expect(total).toBe(7);
    } finally {
      await stopRedis(server);
    }
  }, 30_000);

  it('a Redis that stops answering (frozen) holds no request longer than commandTimeoutMs', async () => {
    const port = await freePort();
    const server = await startRedis(port);
    try {
      // A throttle: every request asks the gate first, the path a frozen Redis could hold up.
      const sb = await instance(newPrefix(), { throttle: { maxConcurrent: 100 } }, `redis://127.0.0.1:${port}`, STALL);
      expect((await chat(sb)).status).toBe(200);
      // Count what reaches the Redis client for the gate (its script), frozen or not.
      const client = (sb.app.switchboard.store as unknown as { client: Record<string, (...a: unknown[]) => Promise<unknown>> }).client;
      const reserve = client.swbReserve.bind(client);
      let asked = 0;
      client.swbReserve = (...a) => (asked++, reserve(...a));
      server.kill('SIGSTOP');
      // No elapsed-time bound (a loaded machine stretches any): without commandTimeoutMs the
      // request would hang (the test times out), and the warning says the command timed out.
      expect((await chat(sb)).status).toBe(200);
      expect(asked).toBe(1);
      expect(await readyz(sb)).toMatchObject({ degraded: true });
      expect(sb.logs.filter((l) => String(l.msg).startsWith('Redis is unreachable')).map((l) => l.err)).toEqual(['Command timed out']);
      for (let i = 0; i < 3; i++) expect((await chat(sb)).status).toBe(200);
      expect(asked).toBe(1); // degraded: Redis is not asked at all
      server.kill('SIGCONT');
      await waitFor(async () => (await readyz(sb)).degraded === false, 10_000);
      expect((await chat(sb)).status).toBe(200);
    } finally {
      server.kill('SIGCONT');
      await stopRedis(server);
    }
  }, 30_000);

  it('regression: a Redis stall counts no request twice: a sync that timed out but ran later is not sent again as new counts', async () => {
    const port = await freePort();
    const server = await startRedis(port);
    const off: (() => void)[] = [];
    try {
      const url = `redis://127.0.0.1:${port}`;
      const prefix = newPrefix();
      const [a, b] = [await instance(prefix, {}, url, STALL), await instance(prefix, {}, url, STALL)];
      // Each key's first answer reports a quota: from then on both instances count requests against it.
      const reported = new Set<string>();
      const quota = { 'x-ratelimit-remaining-requests': '100000', 'x-ratelimit-limit-requests': '100000' };
      off.push(upstream.rule((r) => (reported.has(bearerOf(r)) ? undefined : (reported.add(bearerOf(r)), { kind: 'ok', headers: quota }))));
      while (reported.size < KEYS.length) expect((await chat(a)).status).toBe(200);
      await admin(a, '/tokens/stats'); // A has sent the windows; B takes them in before the load
      const windowsOn = async (sb: RunningSwitchboard) => (await admin(sb, '/tokens/stats')).json.tokens.every((t: any) => t.models['gpt-4o-mini']?.observed?.remainingRequests > 0);
      await waitFor(() => windowsOn(b), 5000);

      let stop = false;
      const load = Promise.all(
        Array.from({ length: 4 }, async (_, c) => {
          for (let i = 0; !stop; i++) {
            const res = await chat(c % 2 ? a : b, `c${c}q${i}`);
            expect(res.status).toBe(200);
            await res.arrayBuffer();
          }
        }),
      );
      const moreServed = (n: number) => {
        const target = chatRequests().length + n;
        return waitFor(async () => chatRequests().length >= target, 20_000);
      };
      const degraded = (want: boolean) => waitFor(async () => (await readyz(a)).degraded === want && (await readyz(b)).degraded === want, 20_000);
      try {
        await moreServed(20);
        // Frozen under load: the syncs on their way time out on both instances (commandTimeoutMs),
        // but Redis still holds them and runs them once it is thawed.
        server.kill('SIGSTOP');
        await degraded(true);
        await moreServed(20);
        server.kill('SIGCONT');
        await degraded(false);
        await moreServed(20);
      } finally {
        stop = true;
        await load;
      }

      // B sends its last counts, A sends its own and takes in B's, B takes in A's (again, should a
      // sync on this busy machine have timed out meanwhile).
      const shared = (s: any) => s.tokens.map(({ isCurrent: _c, inFlight: _f, ...rest }: Record<string, unknown>) => rest);
      let fromA: any;
      let fromB: any;
      await waitFor(async () => {
        await admin(b, '/tokens/stats');
        fromA = (await admin(a, '/tokens/stats')).json;
        fromB = (await admin(b, '/tokens/stats')).json;
        return !fromA.state.degraded && !fromB.state.degraded && JSON.stringify(shared(fromA)) === JSON.stringify(shared(fromB));
      }, 10_000);
      const perKey = new Map<string, number>();
      for (const r of chatRequests()) perKey.set(bearerOf(r), (perKey.get(bearerOf(r)) ?? 0) + 1);
      const counted = (s: any) => Object.fromEntries(s.tokens.map((t: any) => [t.key, t.requests]));
      const truth = Object.fromEntries(KEYS.map((k) => [maskSecret(k), perKey.get(k) ?? 0]));
      expect(counted(fromA)).toEqual(truth);
      expect(counted(fromB)).toEqual(truth);
      // The quota counts travel the same way: every request after the reporting one counted once.
      const left = (s: any) => Object.fromEntries(s.tokens.map((t: any) => [t.key, t.models['gpt-4o-mini'].observed.remainingRequests]));
      const truthLeft = Object.fromEntries(KEYS.map((k) => [maskSecret(k), 100000 - ((perKey.get(k) ?? 0) - 1)]));
      expect(left(fromA)).toEqual(truthLeft);
      expect(left(fromB)).toEqual(truthLeft);
      expect(fromA.state).toEqual({ driver: 'redis', degraded: false });
    } finally {
      off.forEach((f) => f());
      server.kill('SIGCONT');
      await stopRedis(server);
    }
  }, 60_000);

  it('regression: a count made while a sync is on its way survives an answer that brings another instance\'s write', async () => {
    const prefix = newPrefix();
    const clients: SyncingRedis[] = [];
    // One instance's side of the exchange, on the real Redis, with its own document.
    const side = async () => {
      const client = new Redis(REDIS_URL, { keyPrefix: prefix, lazyConnect: true }) as SyncingRedis;
      client.defineCommand('swbSync', { lua: SYNC_LUA });
      await client.connect();
      clients.push(client);
      const record: CredentialRecord = freshRecord();
      const sync = await DocumentSync.open(client, { version: 1, pools: { up: { key: record } } }, (err) => {
        throw err;
      });
      return { client, record, sync };
    };
    try {
      const [a, b] = [await side(), await side()];
      await a.sync.run();
      await b.sync.run();
      await a.sync.run(); // both have seen the record; neither has anything to send
      b.record.requests += 2;
      b.sync.touched('up', 'key');
      await b.sync.run();
      // A request on A while A's sync (which only asks about the record) is on its way: the answer
      // carries B's write, and A's own count must stay beside it, to be sent next time.
      const send = a.client.swbSync.bind(a.client);
      a.client.swbSync = (...args) => {
        a.record.requests += 1;
        a.sync.touched('up', 'key');
        a.client.swbSync = send;
        return send(...args);
      };
      await a.sync.run();
      expect(a.record.requests).toBe(3);
      await a.sync.run();
      await b.sync.run();
      expect([a.record.requests, b.record.requests]).toEqual([3, 3]);
    } finally {
      for (const c of clients) c.disconnect();
    }
  });
});

async function readyz(sb: RunningSwitchboard): Promise<{ degraded?: boolean; state?: string }> {
  return (await (await fetch(`${sb.origin}/readyz`)).json()) as { degraded?: boolean; state?: string };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}



async function waitFor(check: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`condition not met within ${ms} ms`);
}
