/**
 * Documented limits of the provider policies (docs/resilience.md) end to end: a real Switchboard,
 * a fake upstream, plain HTTP. The provider-wide breaker after a 410 recovers after
 * `breaker.goneRecoveryMs`; `bulkhead.queue` holds callers instead of turning them away; and
 * `pool.waitForCooldownMs` waits only within the total timeout, and at most three times.
 */
import http from 'node:http';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../core/state/clock.js';
import { defaultReply, startFakeOpenAI, type Behaviour, type FakeOpenAI } from './fakes/openai-upstream.js';
import { startSwitchboard, type RunningSwitchboard } from './helpers/switchboard.js';

const KEY = 'sk-policy-key-0000-abcdefgh';
const messages = [{ role: 'user' as const, content: 'limit me' }];
const WAITING = 'every credential is cooling down: waiting for the first to free';

let up: FakeOpenAI;
let sb: RunningSwitchboard | undefined;
const cleanups: (() => unknown)[] = [];

// A fresh fake per test: no script or rule of one test reaches the next.
beforeEach(async () => {
  up = await startFakeOpenAI({ models: ['gpt-4o-mini'] });
});
afterEach(async () => {
  vi.useRealTimers();
  for (const c of cleanups.splice(0)) await c();
  await sb?.close();
  sb = undefined;
  await up.close();
});
afterAll(async () => {
  await sb?.close();
});

function provider(extra: Record<string, unknown> = {}) {
  return {
    id: 'up',
    plugin: 'openai-compatible',
    baseUrl: up.url,
    models: ['gpt-4o-mini'],
    credentials: [KEY],
    timeouts: { firstByteMs: 30_000, idleMs: 30_000, totalMs: 30_000 },
    retry: { attempts: 1 },
    ...extra,
  };
}

async function start(p: Record<string, unknown>, clock?: ManualClock): Promise<void> {
  sb = await startSwitchboard({ providers: [p], models: { m: 'up/gpt-4o-mini' } }, { clock });
}

interface Answer {
  status: number;
  headers: Headers;
  json: { error?: { message: string; code: string; type: string }; choices?: { message: { content: string } }[] };
}

async function chat(): Promise<Answer> {
  const res = await fetch(`${sb!.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', messages }) });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Answer['json'] };
}

const posts = () => up.requests.filter((r) => r.method === 'POST');
const waits = () => sb!.logs.filter((l) => l.msg === WAITING);

describe('breaker.goneRecoveryMs', () => {
  it('a provider that answered 410 is refused by the provider-wide breaker, then tried again after goneRecoveryMs and serves', async () => {
    await start(provider({ breaker: { goneRecoveryMs: 60_000 } }));
    // The breakers (cockatiel's) read Date.now: only Date is faked, timers and sockets stay real.
    vi.useFakeTimers({ toFake: ['Date'] });
    const openedAt = Date.now();
    up.script({ kind: 'status', status: 410, body: { error: { message: 'This API has been retired.', type: 'invalid_request_error', param: null, code: null } } });
    const gone = await chat();
    expect(gone.status).toBe(503);
    expect(gone.json.error).toMatchObject({ type: 'service_unavailable', code: 'no_upstream_available' });
    expect(gone.json.error!.message).toContain('is gone (HTTP 410)');
    expect(posts()).toHaveLength(1);
    // open: refused without asking the upstream, up to the last millisecond of goneRecoveryMs
    for (const at of [0, 59_999]) {
      vi.setSystemTime(openedAt + at);
      const refused = await chat();
      expect(refused.status).toBe(503);
      expect(refused.json.error).toMatchObject({ type: 'service_unavailable', code: 'circuit_open' });
      expect(refused.headers.get('retry-after')).toBe(at === 0 ? '60' : '1');
    }
    expect(posts()).toHaveLength(1);
    // goneRecoveryMs later the provider is tried again, and it serves
    vi.setSystemTime(openedAt + 60_000);
    const served = await chat();
    expect(served.status).toBe(200);
    expect(served.json.choices![0].message.content).toBe(defaultReply({ messages }));
    expect(posts()).toHaveLength(2);
    expect((await chat()).status).toBe(200); // closed again
    expect(posts()).toHaveLength(3);
  });
});

describe('bulkhead.queue', () => {
  it('with maxConcurrent 1 and queue 1, a second request waits and is served, a third is refused with 503 provider_busy', async () => {
    await start(provider({ bulkhead: { maxConcurrent: 1, queue: 1 } }));
    // The first request holds the only slot until the test lets go of it (aborts it).
    let first = true;
    cleanups.push(up.rule((): Behaviour | undefined => (first ? ((first = false), { kind: 'hang' }) : undefined)));
    // Over its own socket, so that letting go closes the connection (fetch's pool would keep it).
    const holder = http.request(`${sb!.baseURL}/chat/completions`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } });
    const held = new Promise((r) => holder.on('close', r));
    holder.on('error', () => undefined);
    holder.end(JSON.stringify({ model: 'm', messages }));
    await expect.poll(() => posts().length, { timeout: 10_000 }).toBe(1);
    // Two more: one takes the queue's only place, the other finds it full.
    const second = chat();
    const third = chat();
    const refused = await Promise.race([second, third]);
    expect(refused.status).toBe(503);
    expect(refused.json.error).toMatchObject({ type: 'service_unavailable', code: 'provider_busy' });
    expect(posts()).toHaveLength(1); // the queued one has not reached the upstream yet
    holder.destroy(); // the client leaves: that frees the slot: the queued request goes through
    await held;
    const [a, b] = await Promise.all([second, third]);
    const waited = a === refused ? b : a;
    expect(waited.status).toBe(200);
    expect(waited.json.choices![0].message.content).toBe(defaultReply({ messages }));
    expect(posts()).toHaveLength(2);
  });
});

describe('pool.waitForCooldownMs limits', () => {
  const limited = (headers: Record<string, string>): Behaviour => ({
    kind: 'status',
    status: 429,
    headers,
    body: { error: { message: 'Rate limit reached for requests', type: 'requests', param: null, code: 'rate_limit_exceeded' } },
  });

  it('a cooldown that would outlast the total timeout is not waited for: the request ends with the cooldown 429', async () => {
    // The clock stands still: the credential cools for 2 s of it whatever the test's pace.
    const clock = new ManualClock(Date.now());
    await start(provider({ pool: { waitForCooldownMs: 60_000 }, timeouts: { firstByteMs: 30_000, idleMs: 30_000, totalMs: 1500 } }), clock);
    cleanups.push(up.whenKey([KEY], limited({ 'retry-after': '2' })));
    const r = await chat();
    expect(r.status).toBe(429);
    expect(r.json.error).toMatchObject({ code: 'rate_limit_exceeded' });
    expect(r.headers.get('retry-after')).toBe('2');
    expect(waits()).toHaveLength(0); // 2 s do not fit in what is left of 1.5 s
    expect(posts()).toHaveLength(1);
  });

  it('a credential that stays cooling is waited for three times at most, then the request ends with the cooldown 429', async () => {
    const clock = new ManualClock(Date.now()); // stands still: every wait ends with the credential still cooling
    await start(provider({ pool: { waitForCooldownMs: 60_000 } }), clock);
    cleanups.push(up.whenKey([KEY], limited({ 'retry-after-ms': '100' })));
    const r = await chat();
    expect(r.status).toBe(429);
    expect(r.json.error).toMatchObject({ code: 'rate_limit_exceeded' });
    expect(waits()).toHaveLength(3);
    expect(waits().map((l) => l.waitMs)).toEqual([100, 100, 100]);
    expect(posts()).toHaveLength(1); // the waits asked the pool, not the upstream
  });
});
