/**
 * Credential pools and resilience policies end to end: a real Switchboard over loopback, the
 * official openai client, and a fake upstream told per key and per request how to fail.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../core/state/clock.js';
import { defaultReply, type Behaviour, type FakeOpenAI } from './fakes/openai-upstream.js';
import { type RunningSwitchboard } from './helpers/switchboard.js';
import { useFakeOpenAI, useSwitchboards } from './helpers/lifecycle.js';
import { maskSecret } from '../core/pool/credentials.js';
import type { Lease } from '../core/pool/lease.js';

const KEYS = Array.from({ length: 10 }, (_, i) => `sk-pool-key-${String(i).padStart(4, '0')}-abcdefgh${i}`);
const [K0, K1, K2] = KEYS;
const messages = [{ role: 'user' as const, content: 'pool me' }];
const expected = defaultReply({ messages });

const fake = useFakeOpenAI({ models: ['gpt-4o-mini', 'gpt-4o'] });
const switchboards = useSwitchboards();
let up: FakeOpenAI;
let sb: RunningSwitchboard | undefined;
beforeEach(() => {
  up = fake.up;
  sb = undefined;
});

const rateLimited = (retryAfter: string): Behaviour => ({
  kind: 'status',
  status: 429,
  headers: { 'retry-after': retryAfter },
  body: { error: { message: 'Rate limit reached for requests', type: 'requests', param: null, code: 'rate_limit_exceeded' } },
});

/** Every request with one of `keys` gets `b`, until the test ends (or the returned function is called). */
function whenKey(keys: string[], b: Behaviour): () => void {
  return up.whenKey(keys, b); // the fake drops its rules before the next test
}

function provider(extra: Record<string, unknown> = {}, keys = KEYS.slice(0, 3)) {
  return {
    id: 'up',
    plugin: 'openai-compatible',
    baseUrl: up.url,
    models: ['gpt-4o-mini', 'gpt-4o'],
    credentials: keys,
    timeouts: { firstByteMs: 1500, idleMs: 1500, totalMs: 8000 },
    retry: { attempts: 3, initialDelayMs: 40, maxDelayMs: 80 },
    ...extra,
  };
}

async function start(providers: unknown[], opts: { clock?: ManualClock; models?: Record<string, unknown>; state?: unknown } = {}) {
  sb = await switchboards.start(
    { providers, models: opts.models ?? { m: 'up/gpt-4o-mini' }, ...(opts.state ? { state: opts.state } : {}) },
    { clock: opts.clock },
  );
  return new OpenAI({ baseURL: sb.baseURL, apiKey: 'none', maxRetries: 0 });
}

const pool = (id = 'up') => sb!.app.switchboard.providers.get(id)!.pool;
const view = (key: string, id = 'up') => pool(id).snapshot().find((c) => c.id === maskSecret(key))!;

/** The start time the pool gives each lease it grants from now on (its throttle's own record of it). */
function grantTimes(id = 'up'): number[] {
  const p = pool(id);
  const lease = p.lease.bind(p);
  const at: number[] = [];
  p.lease = (e, model): Lease => {
    const l = lease(e, model);
    at.push(e.lastStartAt);
    return l;
  };
  return at;
}

async function raw(path: string, body: unknown) {
  const res = await fetch(`${sb!.baseURL}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, json: (await res.json()) as { error?: { message: string; code: string; type: string } } };
}

describe('rotation', () => {
  it('round-robin: each request takes the next key in turn', async () => {
    const client = await start([provider()]);
    for (let i = 0; i < 6; i++) await client.chat.completions.create({ model: 'm', messages });
    expect(up.keysSeen()).toEqual([K0, K1, K2, K0, K1, K2]);
  });

  it('a rate-limited key is rotated away from at once, invisibly, and benched for that model only', async () => {
    whenKey([K1], rateLimited('60'));
    const client = await start([provider()]);
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push((await client.chat.completions.create({ model: 'm', messages })).choices[0].message.content);
    expect(answers).toEqual([expected, expected, expected, expected]);
    // K1 was tried once, then left alone for gpt-4o-mini
    expect(up.keysSeen()).toEqual([K0, K1, K2, K0, K2]);
    const k1 = view(K1);
    expect(k1.models['gpt-4o-mini'].cooldownUntil! - Date.now()).toBeGreaterThan(55_000);
    expect(k1.lastError).toContain('rate_limited');
    // the same key still serves another model
    up.requests.length = 0;
    await client.chat.completions.create({ model: 'up/gpt-4o', messages });
    await client.chat.completions.create({ model: 'up/gpt-4o', messages });
    expect(up.keysSeen()).toContain(K1);
  });

  it('rotating past credential faults spends no retry budget: 9 bad keys of 10 with retry.attempts 3', async () => {
    whenKey(KEYS.slice(0, 5), rateLimited('30'));
    whenKey(KEYS.slice(5, 7), { kind: 'status', status: 401, body: { error: { message: 'Incorrect API key provided' } } });
    whenKey(KEYS.slice(7, 9), { kind: 'status', status: 429, body: { error: { message: 'You exceeded your current quota', code: 'insufficient_quota' } } });
    const client = await start([provider({}, KEYS)]);
    const r = await client.chat.completions.create({ model: 'm', messages });
    expect(r.choices[0].message.content).toBe(expected);
    expect(up.keysSeen()).toEqual(KEYS); // every key, once each, in order
    expect(view(KEYS[5]).enabled).toBe(false);
    expect(view(KEYS[5]).disabledReason).toBe('credential_invalid');
  });

  it('transient failures spend the retry budget, with backoff between tries', async () => {
    up.script({ kind: 'status', status: 500 }, { kind: 'status', status: 502 }, { kind: 'status', status: 503 });
    const client = await start([provider()]);
    const err = (await client.chat.completions.create({ model: 'm', messages }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    // attempts: 3 and all three failed (a fourth would have been answered, and succeeded)
    expect(err.status).toBe(502);
    const posts = up.requests.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(3);
    // exponential backoff from 40 ms with half jitter: 20-40 ms, then 40-80 ms
    expect(posts[1].at - posts[0].at).toBeGreaterThanOrEqual(18);
    expect(posts[2].at - posts[1].at).toBeGreaterThanOrEqual(38);
    // a transient failure retries on a fresh credential
    expect(new Set(up.keysSeen()).size).toBe(3);
  });

  it('a 400 is not retried and not held against the key', async () => {
    up.script({ kind: 'status', status: 400, body: { error: { message: "'messages' is too long", type: 'invalid_request_error', param: 'messages', code: null } } });
    const client = await start([provider()]);
    const err = await client.chat.completions.create({ model: 'm', messages }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(up.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    const k0 = view(K0);
    expect(k0.consecutiveFailures).toBe(0);
    expect(k0.failures).toBe(0);
    expect(k0.failuresByKind.request_invalid).toBe(1);
    // and it serves the next request in turn as usual
    await client.chat.completions.create({ model: 'm', messages });
    await client.chat.completions.create({ model: 'm', messages });
    await client.chat.completions.create({ model: 'm', messages });
    expect(up.keysSeen().slice(1)).toEqual([K1, K2, K0]);
  });
});

describe('cooldowns and Retry-After', () => {
  it('Retry-After is honoured: the key rests exactly that long (fake clock)', async () => {
    const clock = new ManualClock(Date.now());
    const off = whenKey([K0], rateLimited('20'));
    const client = await start([provider({}, [K0])], { clock });
    const first = await raw('/chat/completions', { model: 'm', messages });
    expect(first.status).toBe(429);
    expect(first.json.error!.code).toBe('rate_limit_exceeded');
    expect(first.headers.get('retry-after')).toBe('20');
    up.requests.length = 0;
    off(); // the upstream would answer now
    clock.advance(19_000);
    const early = await raw('/chat/completions', { model: 'm', messages });
    expect(early.status).toBe(429);
    expect(early.headers.get('retry-after')).toBe('1');
    expect(up.requests).toHaveLength(0); // not even asked
    clock.advance(1_000);
    expect((await client.chat.completions.create({ model: 'm', messages })).choices[0].message.content).toBe(expected);
  });

  it('without Retry-After a 429 benches the key for 1 hour', async () => {
    const clock = new ManualClock(Date.now());
    up.script({ kind: 'status', status: 429, body: { error: { message: 'slow down' } } });
    await start([provider({}, [K0, K1])], { clock });
    await raw('/chat/completions', { model: 'm', messages });
    expect(view(K0).models['gpt-4o-mini'].cooldownUntil).toBe(clock.now() + 3_600_000);
  });

  it('every key of every target cooling: 429 rate_limit_exceeded, Retry-After until the first frees', async () => {
    const clock = new ManualClock(Date.now());
    whenKey([K0], rateLimited('120'));
    whenKey([K1], rateLimited('45'));
    await start([provider({}, [K0]), { ...provider({}, [K1]), id: 'up2' }], { clock, models: { m: ['up/gpt-4o-mini', 'up2/gpt-4o-mini'] } });
    const r = await raw('/chat/completions', { model: 'm', messages });
    expect(r.status).toBe(429);
    expect(r.json.error!.code).toBe('rate_limit_exceeded');
    expect(r.headers.get('retry-after')).toBe('45');
    expect(r.json.error!.message).toContain('provider "up": 1 rate limited');
    expect(r.json.error!.message).toContain('provider "up2": 1 rate limited');
    // still cooling a minute later, without asking the upstream
    up.requests.length = 0;
    clock.advance(10_000);
    const again = await raw('/chat/completions', { model: 'm', messages });
    expect(again.headers.get('retry-after')).toBe('35');
    expect(up.requests).toHaveLength(0);
  });

  it('waitForCooldownMs: a key that frees soon enough is waited for instead of a 429', async () => {
    let limited = true;
    up.rule(() => (limited ? ((limited = false), rateLimited('1')) : undefined));
    const client = await start([provider({ pool: { waitForCooldownMs: 3000 } }, [K0])]);
    const started = Date.now();
    const r = await client.chat.completions.create({ model: 'm', messages });
    expect(r.choices[0].message.content).toBe(expected);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(up.keysSeen()).toEqual([K0, K0]);
  });
});

describe('circuit breakers', () => {
  it('open after consecutive failures, half-open after halfOpenAfterMs, closed by a good probe', async () => {
    const client = await start([provider({ retry: { attempts: 1 }, breaker: { consecutiveFailures: 2, halfOpenAfterMs: 800 } }, [K0])]);
    up.script({ kind: 'status', status: 500 }, { kind: 'status', status: 500 });
    for (let i = 0; i < 2; i++) expect((await raw('/chat/completions', { model: 'm', messages })).status).toBe(502);
    up.requests.length = 0;
    const open = await raw('/chat/completions', { model: 'm', messages });
    expect(open.status).toBe(503);
    expect(open.json.error).toMatchObject({ type: 'service_unavailable', code: 'circuit_open' });
    expect(open.json.error!.message).toMatch(/^Circuit breaker open for model: m \(retry in 1s\)$/);
    expect(open.headers.get('retry-after')).toBe('1');
    expect(up.requests).toHaveLength(0); // the upstream is spared
    // cockatiel reads Date.now() itself (no clock to inject): real time, and 800 ms of margin for
    // the checks above to run while the breaker is still open on a loaded machine.
    await new Promise((r) => setTimeout(r, 850));
    // half-open: one probe goes through; it succeeds, so the breaker closes
    expect((await client.chat.completions.create({ model: 'm', messages })).choices[0].message.content).toBe(expected);
    expect((await client.chat.completions.create({ model: 'm', messages })).choices[0].message.content).toBe(expected);
    expect(up.requests).toHaveLength(2);
  });

  it('a failed probe opens the breaker again', async () => {
    await start([provider({ retry: { attempts: 1 }, breaker: { consecutiveFailures: 1, halfOpenAfterMs: 600 } }, [K0])]);
    up.script({ kind: 'status', status: 500 });
    await raw('/chat/completions', { model: 'm', messages });
    await new Promise((r) => setTimeout(r, 650)); // real time: cockatiel takes no clock
    up.script({ kind: 'status', status: 503 });
    expect((await raw('/chat/completions', { model: 'm', messages })).status).toBe(502); // the probe
    expect((await raw('/chat/completions', { model: 'm', messages })).json.error!.code).toBe('circuit_open');
  });

  it('an open breaker is skipped when a fallback target can serve', async () => {
    const client = await start(
      [provider({ retry: { attempts: 1 }, breaker: { consecutiveFailures: 1, halfOpenAfterMs: 60_000 } }, [K0]), { id: 'mock', plugin: 'mock' }],
      { models: { m: ['up/gpt-4o-mini', 'mock/echo'] } },
    );
    up.script({ kind: 'status', status: 500 });
    expect((await client.chat.completions.create({ model: 'm', messages })).choices[0].message.content).toBe('pool me'); // failed over
    up.requests.length = 0;
    expect((await client.chat.completions.create({ model: 'm', messages })).choices[0].message.content).toBe('pool me');
    expect(up.requests).toHaveLength(0); // breaker open: not even tried
  });

  it('410 (provider gone) opens the provider-wide breaker: no model of it is tried', async () => {
    const client = await start([provider({}, [K0]), { id: 'mock', plugin: 'mock' }], {
      models: { m: ['up/gpt-4o-mini', 'mock/echo'], n: ['up/gpt-4o', 'mock/echo'] },
    });
    up.script({ kind: 'status', status: 410, body: { error: { message: 'This API has been retired.' } } });
    expect((await client.chat.completions.create({ model: 'm', messages })).choices[0].message.content).toBe('pool me');
    expect(up.requests).toHaveLength(1); // gone is not retried
    up.requests.length = 0;
    await client.chat.completions.create({ model: 'n', messages });
    expect(up.requests).toHaveLength(0);
  });
});

describe('sampling breaker and bulkhead', () => {
  it('a sampling breaker opens when the failure rate over its window passes the threshold', async () => {
    await start([provider({ retry: { attempts: 1 }, breaker: { type: 'sampling', threshold: 0.5, samplingDurationMs: 5000, minimumRps: 0.6, halfOpenAfterMs: 60_000 } }, [K0])]);
    // 1 success and 2 failures: a 67 % failure rate over 3 calls (0.6 rps over 5 s)
    up.script({ kind: 'ok' }, { kind: 'status', status: 500 }, { kind: 'status', status: 500 });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await raw('/chat/completions', { model: 'm', messages })).status);
    expect(statuses).toEqual([200, 502, 502, 503]);
    expect(up.requests.filter((r) => r.method === 'POST')).toHaveLength(3);
  });

  it('a full bulkhead turns the next call away with 503 provider_busy, unless a fallback can serve', async () => {
    await start([provider({ bulkhead: { maxConcurrent: 1, queue: 0 } }, [K0]), { id: 'mock', plugin: 'mock' }], {
      models: { m: 'up/gpt-4o-mini', f: ['up/gpt-4o-mini', 'mock/echo'] },
    });
    up.script({ kind: 'drip', delayMs: 40 }); // a slow stream holds the only slot for ~1 s
    const slow = fetch(`${sb!.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', messages, stream: true }) });
    await expect.poll(() => up.requests.length).toBe(1);
    const busy = await raw('/chat/completions', { model: 'm', messages });
    expect(busy.status).toBe(503);
    expect(busy.json.error!.code).toBe('provider_busy');
    const fallback = await raw('/chat/completions', { model: 'f', messages });
    expect(fallback.status).toBe(200);
    expect(await (await slow).text()).toContain('[DONE]');
  });
});

describe('streams', () => {
  it('rotation and retries happen before the first byte: invisible to a streaming SDK client', async () => {
    whenKey([K0], rateLimited('30'));
    up.script({ kind: 'status', status: 502 }); // K1 fails transiently, K2 serves
    const client = await start([provider()]);
    const stream = await client.chat.completions.create({ model: 'm', messages, stream: true });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    expect(text).toBe(expected);
    expect(up.keysSeen()).toEqual([K0, K1, K2]);
  });

  it('a failure after the first byte ends the stream with an error event and counts against the key', async () => {
    up.script({ kind: 'cut-after', chunks: 3 });
    const client = await start([provider()]);
    const stream = await client.chat.completions.create({ model: 'm', messages, stream: true });
    const err = await (async () => {
      for await (const _ of stream) void _;
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(view(K0).failuresByKind.transient).toBe(1);
    expect(view(K0).skipRequests).toBe(5);
  });

  it('usage of a stream (include_usage) is counted for the key and model', async () => {
    const client = await start([provider()]);
    const stream = await client.chat.completions.create({ model: 'm', messages, stream: true, stream_options: { include_usage: true } });
    let usage;
    for await (const c of stream) usage = c.usage ?? usage;
    const k0 = view(K0);
    expect(k0.tokensOut).toBe(usage!.completion_tokens);
    expect(k0.models['gpt-4o-mini'].tokensIn).toBe(usage!.prompt_tokens);
    expect(k0.successes).toBe(1);
  });
});

describe('throttle', () => {
  it('minIntervalMs holds per key under 20 concurrent callers', async () => {
    const interval = 20;
    const client = await start([provider({ throttle: { minIntervalMs: interval } }, [K0])]);
    // Start times as the pool decides them, on its own clock: what the throttle promises. (The
    // upstream's arrival stamps add loopback and event-loop delays that vary under load.)
    const starts = grantTimes();
    const answers = await Promise.all(Array.from({ length: 20 }, () => client.chat.completions.create({ model: 'm', messages })));
    expect(answers.every((a) => a.choices[0].message.content === expected)).toBe(true);
    expect(up.requests.filter((r) => r.method === 'POST')).toHaveLength(20);
    expect(starts).toHaveLength(20);
    for (let i = 1; i < starts.length; i++) expect(starts[i] - starts[i - 1]).toBeGreaterThanOrEqual(interval);
  });

  it('a full queue answers 429 queue_full; a long wait answers 503 queue_timeout', async () => {
    // A clock that stands still: the interval never ends, so the queued two can only time out,
    // however late the four requests reach Switchboard on a loaded machine (within 500 ms).
    await start([provider({ throttle: { minIntervalMs: 400, queueLimit: 2, queueTimeoutMs: 500 } }, [K0])], { clock: new ManualClock(Date.now()) });
    const results = await Promise.all(Array.from({ length: 4 }, () => raw('/chat/completions', { model: 'm', messages })));
    const byStatus = results.map((r) => `${r.status} ${r.json.error?.code ?? 'ok'}`).sort();
    // one served at once, two queued then timed out (the next start never comes), one turned away
    expect(byStatus).toEqual(['200 ok', '429 queue_full', '503 queue_timeout', '503 queue_timeout']);
    const full = results.find((r) => r.status === 429)!;
    expect(Number(full.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });
});

describe('state', () => {
  it('cooldowns, disabled keys and counters survive a restart (file driver)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'swb-state-'));
    switchboards.defer(() => rm(dir, { recursive: true, force: true }));
    const state = { driver: 'file', path: join(dir, 'state.json'), debounceMs: 50 };
    const offs = [whenKey([K0], rateLimited('3600')), whenKey([K1], { kind: 'status', status: 401, body: { error: { message: 'revoked' } } })];
    let client = await start([provider()], { state });
    await client.chat.completions.create({ model: 'm', messages }); // K0 429, K1 401, K2 serves
    expect(up.keysSeen()).toEqual([K0, K1, K2]);
    await sb!.close();
    sb = undefined;
    offs.forEach((off) => off()); // the upstream would accept both keys now

    up.requests.length = 0;
    client = await start([provider()], { state });
    await client.chat.completions.create({ model: 'm', messages });
    await client.chat.completions.create({ model: 'm', messages });
    expect(up.keysSeen()).toEqual([K2, K2]); // K0 still cooling, K1 still disabled
    expect(view(K1).enabled).toBe(false);
    expect(view(K2).successes).toBe(3);
    expect(view(K0).models['gpt-4o-mini'].cooldownReason).toBe('rate limited');
  });

  it('no secret reaches the logs, the stats or an error message', async () => {
    whenKey([K0], { kind: 'status', status: 401, body: { error: { message: `Incorrect API key provided: ${K0}` } } });
    whenKey([K1], { kind: 'status', status: 429, body: { error: { message: `Rate limit for key ${K1}` } } });
    const client = await start([provider({}, [K0, K1])]);
    const r = await raw('/chat/completions', { model: 'm', messages });
    expect(r.status).toBe(429);
    await client.chat.completions.create({ model: 'up/gpt-4o', messages }).catch(() => undefined);
    const seen = [sb!.logText(), JSON.stringify(r.json), JSON.stringify(pool().snapshot())].join('\n');
    for (const k of [K0, K1]) expect(seen).not.toContain(k);
    expect(seen).toContain('[redacted]'); // the upstream's words were kept, minus the key
    expect(seen).toContain(maskSecret(K0));
  });
});
