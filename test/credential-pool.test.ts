/**
 * The credential pool used directly: which credential each strategy picks, what every failure kind
 * does to a credential and for how long, the throttle queue, what survives a restart, and what the
 * stats show. Cooldowns run on a ManualClock; the throttle tests use the real clock.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Credential, Logger } from '../core/contract/provider.js';
import { toCredential } from '../core/pool/credentials.js';
import { GatewayError } from '../core/errors/gateway-error.js';
import { CredentialPool } from '../core/pool/credential-pool.js';
import { PoolExhausted } from '../core/pool/exhausted.js';
import type { Lease } from '../core/pool/lease.js';
import type { PoolEntry } from '../core/pool/pool-entry.js';
import type { Tried } from '../core/pool/tried.js';
import { DEFAULT_POOL_SETTINGS, type PoolSettings } from '../core/pool/settings.js';
import { ManualClock, systemClock } from '../core/state/clock.js';
import { MemoryStore } from '../core/state/memory-store.js';
import { CallSignal } from '../core/contract/call-signal.js';

const PROVIDER = 'acme';
const MODEL = 'gpt-test';
const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;

interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: unknown;
  msg: string | undefined;
}

function captureLog(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: LogLine['level']) => (obj: unknown, msg?: string) => void lines.push({ level, obj, msg });
  const log = { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => log };
  return log;
}

type SettingsPatch = Partial<Omit<PoolSettings, 'throttle' | 'cooldowns'>> & {
  throttle?: Partial<PoolSettings['throttle']>;
  cooldowns?: Partial<PoolSettings['cooldowns']>;
};

/** Named credentials, so a lease tells which one served it. */
const named = (...names: string[]): Credential[] => names.map((name) => toCredential({ secret: `sk-${name.repeat(20)}`, name }));

/** `realTime`: the pool reads the system clock (throttle tests); otherwise a ManualClock at T0. */
function makePool(opts: { credentials?: Credential[]; settings?: SettingsPatch; clock?: ManualClock; realTime?: boolean; store?: MemoryStore } = {}) {
  const clock = opts.clock ?? new ManualClock(T0);
  const store = opts.store ?? new MemoryStore();
  const log = captureLog();
  const s = opts.settings ?? {};
  const settings: PoolSettings = {
    ...DEFAULT_POOL_SETTINGS,
    ...s,
    throttle: { ...DEFAULT_POOL_SETTINGS.throttle, ...s.throttle },
    cooldowns: { ...DEFAULT_POOL_SETTINGS.cooldowns, ...s.cooldowns },
  };
  const pool = new CredentialPool({ providerId: PROVIDER, credentials: opts.credentials ?? named('a', 'b', 'c'), settings, clock: opts.realTime ? systemClock : clock, store, log });
  return { pool, clock, store, log };
}

/** A lease that must be granted at once (no queueing). */
/** `tried` as after credential faults: never offered again. */
const faulted = (entries: readonly PoolEntry[]): Tried => new Map(entries.map((e) => [e, 'fault']));

function take(pool: CredentialPool, model = MODEL, tried?: Tried): Lease {
  const got = pool.acquire(model, new CallSignal(), tried);
  if (got instanceof Promise) throw new Error('expected a lease at once, but the pool queued the call');
  return got;
}

/** Lease on one named credential by marking all the others as tried. */
function takeOn(pool: CredentialPool, name: string): Lease {
  return take(pool, MODEL, faulted(pool.entries.filter((e) => e.key !== name)));
}

/** Which credential served each of `n` successful requests. */
function rotate(pool: CredentialPool, n: number, model = MODEL, between?: () => void): string[] {
  const served: string[] = [];
  for (let i = 0; i < n; i++) {
    between?.();
    const lease = take(pool, model);
    served.push(lease.credential?.name ?? '?');
    lease.succeed();
  }
  return served;
}

function servable(pool: CredentialPool, model = MODEL): boolean {
  try {
    take(pool, model).release();
    return true;
  } catch (err) {
    if (err instanceof PoolExhausted) return false;
    throw err;
  }
}

function exhaustion(pool: CredentialPool, model = MODEL): PoolExhausted {
  try {
    take(pool, model).release();
  } catch (err) {
    if (err instanceof PoolExhausted) return err;
    throw err;
  }
  throw new Error('expected PoolExhausted, but a credential was leased');
}

const view = (pool: CredentialPool, key: string) => {
  const v = pool.snapshot().find((x) => x.key === key);
  if (!v) throw new Error(`no credential ${key} in the snapshot`);
  return v;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const tally = (names: string[]) => names.reduce<Record<string, number>>((acc, n) => ((acc[n] = (acc[n] ?? 0) + 1), acc), {});

describe('strategies', () => {
  it('round-robin cycles through the credentials in order', () => {
    const { pool } = makePool();
    expect(rotate(pool, 6)).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });

  it('least-used picks the credential with the fewest requests, the one unused longest among equals', () => {
    const { pool, clock } = makePool({ settings: { strategy: 'least-used' } });
    for (const [name, n] of [['a', 3], ['b', 1], ['c', 2]] as const) {
      for (let i = 0; i < n; i++) {
        clock.advance(1);
        takeOn(pool, name).succeed();
      }
    }
    // b (1) first; then b and c tie at 2 and c was used longer ago; then b (2) again; then all 3.
    expect(rotate(pool, 4, MODEL, () => clock.advance(1))).toEqual(['b', 'c', 'b', 'a']);
  });

  it('quota-aware prefers the most remaining quota, and counts a reset window as unlimited', () => {
    const { pool, clock } = makePool({ settings: { strategy: 'quota-aware' } });
    const report = (name: string, quota: { remaining: number; resetAt?: number }) => {
      const lease = takeOn(pool, name);
      lease.reportQuota(quota);
      lease.succeed();
    };
    report('a', { remaining: 10 });
    report('b', { remaining: 500, resetAt: T0 + 60_000 });
    report('c', { remaining: 50 });
    expect(rotate(pool, 3)).toEqual(['b', 'b', 'b']);

    report('b', { remaining: 1, resetAt: T0 + 60_000 });
    expect(rotate(pool, 2)).toEqual(['c', 'c']);

    clock.set(T0 + 60_000); // b's window resets: its 1 left no longer holds
    expect(rotate(pool, 2)).toEqual(['b', 'b']);
  });

  it('quota-aware counts a credential that never reported quota as unlimited', () => {
    const { pool } = makePool({ credentials: named('x', 'y'), settings: { strategy: 'quota-aware' } });
    // y is the more used one, so only the quota rule can make it win
    takeOn(pool, 'y').succeed();
    takeOn(pool, 'y').succeed();
    const lease = takeOn(pool, 'x');
    lease.reportQuota({ remaining: 1000 });
    lease.succeed();
    expect(rotate(pool, 2)).toEqual(['y', 'y']);
  });

  it('random uses every credential over 300 leases, and only eligible ones', () => {
    const { pool } = makePool({ settings: { strategy: 'random' } });
    const all = tally(rotate(pool, 300));
    expect(Object.keys(all).sort()).toEqual(['a', 'b', 'c']);
    // mean 100 each; below 50 is ~6 standard deviations away
    for (const n of Object.values(all)) expect(n).toBeGreaterThan(50);

    takeOn(pool, 'c').fail('credential_invalid', { message: '401' });
    const rest = tally(rotate(pool, 300));
    expect(rest.c).toBeUndefined();
    expect(rest.a).toBeGreaterThan(50);
    expect(rest.b).toBeGreaterThan(50);
  });

  it('never offers a credential in `tried`, and is exhausted when all were tried', () => {
    const { pool } = makePool({ credentials: named('a', 'b') });
    const triedA = faulted(pool.entries.filter((e) => e.key === 'a'));
    for (let i = 0; i < 4; i++) {
      const lease = take(pool, MODEL, triedA);
      expect(lease.credential?.name).toBe('b');
      lease.succeed();
    }
    const err = (() => {
      try {
        take(pool, MODEL, faulted(pool.entries));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(PoolExhausted);
    expect((err as PoolExhausted).freeAt).toBeUndefined();
    expect((err as PoolExhausted).summary).toBe('2 already failed this request');
  });

  it('gives a provider without credentials one anonymous entry', () => {
    const { pool } = makePool({ credentials: [] });
    const lease = take(pool);
    expect(lease.credential).toBeUndefined();
    lease.succeed();
    expect(pool.snapshot()).toMatchObject([{ id: '(no credential)', key: 'anonymous', requests: 1, successes: 1 }]);
  });
});

describe('cooldowns', () => {
  it('regression: the keyless entry refused (401, or client errors in a row) rests a minute in memory, never disabled', () => {
    for (const [kind, status, cooldowns] of [
      ['credential_invalid', 401, {}],
      ['transient', 400, { disableAfterClientErrors: 1 }],
    ] as const) {
      const { pool, clock, store, log } = makePool({ credentials: [], settings: { cooldowns } });
      expect(pool.keyless).toBe(true);
      take(pool).fail(kind, { message: `HTTP ${status}: Unauthorized`, status });
      expect(pool.snapshot()[0].enabled).toBe(true);
      expect(JSON.stringify(store.data)).not.toContain('disabled');
      expect(() => take(pool)).toThrow(PoolExhausted);
      let why: PoolExhausted | undefined;
      try {
        take(pool);
      } catch (err) {
        why = err as PoolExhausted;
      }
      expect(why!.error?.message).toContain(`configured without credentials and its upstream refused a request without one (HTTP ${status}: Unauthorized)`);
      expect(log.lines.some((l) => l.level === 'warn' && /without a credential/.test(l.msg ?? ''))).toBe(true);
      clock.set(T0 + 60_000);
      expect(servable(pool)).toBe(true);
    }
  });

  it.each([
    ['rate_limited with retryAfterMs 30 s', 'rate_limited', { retryAfterMs: 30_000 }, 30_000],
    ['rate_limited without a stated wait: 1 h', 'rate_limited', {}, HOUR],
    ['quota_exhausted until resetAt (even with a retryAfterMs)', 'quota_exhausted', { resetAt: T0 + 123_456, retryAfterMs: 5_000 }, 123_456],
    ['quota_exhausted with only retryAfterMs', 'quota_exhausted', { retryAfterMs: 90_000 }, 90_000],
    ['quota_exhausted without either: 10 h', 'quota_exhausted', {}, 10 * HOUR],
  ] as const)('%s', (_, kind, detail, ms) => {
    const { pool, clock } = makePool({ credentials: named('a') });
    take(pool).fail(kind, { message: 'slow down', ...detail });
    clock.set(T0 + ms - 1);
    expect(servable(pool)).toBe(false);
    clock.set(T0 + ms);
    expect(servable(pool)).toBe(true);
  });

  it("rate limits one model only with rateLimitScope 'model' (the default)", () => {
    const { pool } = makePool({ credentials: named('a') });
    take(pool, 'm1').fail('rate_limited', { message: '429', retryAfterMs: 60_000 });
    expect(servable(pool, 'm1')).toBe(false);
    expect(servable(pool, 'm2')).toBe(true);
    expect(view(pool, 'a').coolingDown).toBe(false);
    expect(view(pool, 'a').models.m1.cooldownUntil).toBe(T0 + 60_000);
  });

  it("rate limits the whole credential with rateLimitScope 'credential'", () => {
    const { pool, clock } = makePool({ credentials: named('a'), settings: { rateLimitScope: 'credential' } });
    take(pool, 'm1').fail('rate_limited', { message: '429', retryAfterMs: 60_000 });
    expect(servable(pool, 'm1')).toBe(false);
    expect(servable(pool, 'm2')).toBe(false);
    expect(view(pool, 'a').coolingDown).toBe(true);
    clock.advance(60_000);
    expect(servable(pool, 'm2')).toBe(true);
  });

  it('keeps the later deadline: a 1 h cooldown followed by a 10 s one still lasts 1 h', () => {
    const { pool, clock } = makePool({ credentials: named('a') });
    const first = take(pool);
    const second = take(pool);
    first.fail('rate_limited', { message: '429', retryAfterMs: HOUR });
    second.fail('rate_limited', { message: '429', retryAfterMs: 10_000 });
    clock.set(T0 + 10_000);
    expect(servable(pool)).toBe(false);
    clock.set(T0 + HOUR - 1);
    expect(servable(pool)).toBe(false);
    clock.set(T0 + HOUR);
    expect(servable(pool)).toBe(true);
  });

  it('skips a credential for exactly the next 5 requests after a transient failure, then rotates it back in', () => {
    const { pool } = makePool({ credentials: named('a', 'b') });
    take(pool).fail('transient', { message: 'upstream 502' }); // a
    expect(rotate(pool, 8)).toEqual(['b', 'b', 'b', 'b', 'b', 'a', 'b', 'a']);
  });

  it('still uses a transiently failed credential when it is the only one', () => {
    const { pool } = makePool({ credentials: named('a') });
    take(pool).fail('transient', { message: 'upstream 502' });
    expect(rotate(pool, 2)).toEqual(['a', 'a']);
  });

  it('disables a credential_invalid credential until an admin enables it, and logs it without the secret', () => {
    const { pool, log } = makePool({ credentials: named('a', 'b') });
    take(pool).fail('credential_invalid', { message: '401 invalid api key' }); // a
    expect(rotate(pool, 4)).toEqual(['b', 'b', 'b', 'b']);
    expect(view(pool, 'a')).toMatchObject({ enabled: false, disabledReason: 'credential_invalid', disabledAt: T0 });

    const warn = log.lines.find((l) => l.level === 'warn');
    expect(warn?.obj).toMatchObject({ provider: PROVIDER, credential: 'a' });
    expect(JSON.stringify(log.lines)).not.toContain('sk-aaaa');

    expect(pool.find('nope')).toBeUndefined();
    pool.enable(pool.find('a')!);
    expect(rotate(pool, 2).sort()).toEqual(['a', 'b']);
  });

  it('an admin disables a credential: it serves nothing until enabled, and says why', () => {
    const { pool } = makePool({ credentials: named('a', 'b') });
    pool.disable(pool.find('b')!, 'disabled by an admin');
    expect(rotate(pool, 3)).toEqual(['a', 'a', 'a']);
    expect(view(pool, 'b')).toMatchObject({ enabled: false, disabledReason: 'disabled by an admin', disabledAt: T0 });
    pool.enable(pool.find('b')!);
    expect(rotate(pool, 2).sort()).toEqual(['a', 'b']);
  });

  it('credential_model_denied skips that credential for that model only', () => {
    const { pool } = makePool({ credentials: named('a', 'b') });
    take(pool, 'm1').fail('credential_model_denied', { message: 'no access to m1' }); // a
    expect(rotate(pool, 3, 'm1')).toEqual(['b', 'b', 'b']);
    expect(rotate(pool, 2, 'm2').sort()).toEqual(['a', 'b']);
  });

  it('request_invalid blames nobody: no cooldown, no skip, no failure counted', () => {
    const { pool } = makePool({ credentials: named('a', 'b') });
    take(pool).fail('request_invalid', { message: 'bad temperature' }); // a
    // a transient failure would have made a sit out; here the rotation goes on
    expect(rotate(pool, 2)).toEqual(['b', 'a']);
    const a = view(pool, 'a');
    expect(a).toMatchObject({ failures: 0, consecutiveFailures: 0, skipRequests: 0, failuresByKind: { request_invalid: 1 } });
    expect(a.lastError).toBeUndefined();
    expect(a.cooldownUntil).toBeUndefined();
    expect(a.models[MODEL].cooldownUntil).toBeUndefined();
    expect(a.models[MODEL]).toMatchObject({ failures: 0, failuresByKind: { request_invalid: 1 } });
  });

  it('counts consecutive failures, leaves them alone on request_invalid, and resets them on success', () => {
    const { pool } = makePool({ credentials: named('a') });
    take(pool).fail('transient', { message: 'reset' });
    take(pool).fail('transient', { message: 'timeout' });
    expect(view(pool, 'a').consecutiveFailures).toBe(2);
    take(pool).fail('request_invalid', { message: 'bad' });
    expect(view(pool, 'a')).toMatchObject({ consecutiveFailures: 2, failures: 2, lastError: 'transient: timeout' });
    take(pool).succeed();
    expect(view(pool, 'a')).toMatchObject({ consecutiveFailures: 0, failures: 2, successes: 1, requests: 4 });
  });

  it('throws PoolExhausted with the earliest cooldown end and the reasons when nothing can serve', () => {
    const { pool, clock } = makePool();
    take(pool).fail('rate_limited', { message: '429', retryAfterMs: 30_000 }); // a
    take(pool).fail('quota_exhausted', { message: '429', resetAt: T0 + 600_000 }); // b
    take(pool).fail('credential_invalid', { message: '401' }); // c
    const err = exhaustion(pool);
    expect(err).toMatchObject({ providerId: PROVIDER, model: MODEL, freeAt: T0 + 30_000 });
    expect(err.summary).toContain('1 rate limited');
    expect(err.summary).toContain('1 quota exhausted');
    expect(err.summary).toContain('1 disabled (credential_invalid)');

    clock.set(T0 + 30_000);
    expect(rotate(pool, 1)).toEqual(['a']);
  });

  it('says nothing will free by itself when every credential is disabled', () => {
    const { pool } = makePool({ credentials: named('a', 'b') });
    take(pool).fail('credential_invalid', { message: '401' });
    take(pool).fail('credential_invalid', { message: '403' });
    const err = exhaustion(pool);
    expect(err.freeAt).toBeUndefined();
    expect(err.summary).toBe('2 disabled (credential_invalid)');
  });

  it('"too many at once" lowers the credential\'s concurrency below what was running, for a minute', async () => {
    const { pool, clock } = makePool({ credentials: named('a') });
    const running = [take(pool), take(pool), take(pool)];
    take(pool).fail('rate_limited', { message: '429 UserConcurrentRequests', retryAfterMs: 0, lowerConcurrency: true });
    // three still in flight, cap now three: the next caller waits for one to finish
    const waiting = pool.acquire(MODEL, new CallSignal());
    expect(waiting).toBeInstanceOf(Promise);
    running[0].succeed();
    const lease = await waiting;
    expect(lease.credential?.name).toBe('a');
    clock.advance(60_000);
    take(pool).succeed(); // the cap has lifted: a fourth runs beside three
  });

  it('past 256 models per credential, the overflow models share one record, cooldowns included', () => {
    const { pool, clock } = makePool({ credentials: named('a') });
    for (let i = 0; i < 256; i++) take(pool, `m${i}`).succeed();
    take(pool, 'extra-1').fail('rate_limited', { message: '429', retryAfterMs: 60_000 });
    const models = Object.keys(pool.snapshot()[0].models);
    expect(models).toHaveLength(257);
    expect(models).toContain('(other models)');
    expect(models).not.toContain('extra-1');
    // the cooldown binds every overflow model, not the first 256
    expect(() => take(pool, 'extra-2')).toThrow(PoolExhausted);
    take(pool, 'm7').succeed();
    clock.advance(60_000);
    take(pool, 'extra-2').succeed();
  });
});

describe('throttle and queue', () => {
  /** 20 callers at once; when each was granted, in which order, on which credential. */
  async function twentyCallers(pool: CredentialPool) {
    const granted: { caller: number; at: number; name: string }[] = [];
    // Time each grant where the pool decides it (its throttle's own record), not when the caller
    // gets to run: on a loaded machine the caller's continuation may come late.
    const lease = pool.lease.bind(pool);
    const decided = new Map<Lease, number>();
    pool.lease = (e, model) => {
      const l = lease(e, model);
      decided.set(l, e.lastStartAt);
      return l;
    };
    await Promise.all(
      Array.from({ length: 20 }, async (_, caller) => {
        const got = pool.acquire(MODEL, new CallSignal());
        const l = got instanceof Promise ? await got : got;
        granted.push({ caller, at: decided.get(l)!, name: l.credential?.name ?? '?' });
        await sleep(5); // the upstream call; its release also drains the queue
        l.succeed();
      }),
    );
    return granted;
  }

  /** Gaps between consecutive grants; 49 allows for 1 ms timer granularity. */
  const gaps = (times: number[]) => times.slice(1).map((t, i) => t - times[i]);

  it('spaces 20 concurrent callers on one credential by minIntervalMs and serves them in call order', async () => {
    const { pool } = makePool({ credentials: named('a'), realTime: true, settings: { throttle: { minIntervalMs: 50 } } });
    const granted = await twentyCallers(pool);
    expect(granted.map((g) => g.caller)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    for (const gap of gaps(granted.map((g) => g.at))) expect(gap).toBeGreaterThanOrEqual(49);
  });

  it('doubles the throughput with two credentials, each still spaced by minIntervalMs', async () => {
    const { pool } = makePool({ credentials: named('a', 'b'), realTime: true, settings: { throttle: { minIntervalMs: 50 } } });
    const granted = await twentyCallers(pool);
    expect(granted.map((g) => g.caller)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    for (const name of ['a', 'b']) {
      const times = granted.filter((g) => g.name === name).map((g) => g.at);
      expect(times).toHaveLength(10);
      for (const gap of gaps(times)) expect(gap).toBeGreaterThanOrEqual(49);
    }
    // Two credentials serve side by side: neither waits out its interval while the other is free,
    // so the grants take turns (one credential alone would need 19 intervals, two need 9).
    const names = [...granted].sort((x, y) => x.at - y.at).map((g) => g.name).join('');
    expect(names).not.toMatch(/aaa|bbb/);
  });

  it('with maxConcurrent 1, a second caller waits until the first lease is released', async () => {
    const { pool } = makePool({ credentials: named('a'), settings: { throttle: { maxConcurrent: 1 } } });
    const first = take(pool);
    const second = pool.acquire(MODEL, new CallSignal());
    expect(second).toBeInstanceOf(Promise);
    let granted = false;
    void Promise.resolve(second).then(() => (granted = true));
    await sleep(10);
    expect(granted).toBe(false);
    expect(pool.waiting).toBe(1);

    first.succeed();
    const lease = await second;
    expect(lease.credential?.name).toBe('a');
    expect(view(pool, 'a').inFlight).toBe(1);
    lease.succeed();
    expect(view(pool, 'a').inFlight).toBe(0);
  });

  it('answers 429 with retry-after to the caller beyond queueLimit', async () => {
    const { pool } = makePool({ credentials: named('a'), settings: { throttle: { maxConcurrent: 1, queueLimit: 2 } } });
    const first = take(pool);
    const waiters = [pool.acquire(MODEL, new CallSignal()), pool.acquire(MODEL, new CallSignal())];
    const err: unknown = await Promise.resolve(pool.acquire(MODEL, new CallSignal())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ id: 'SWB_ERR_QUEUE_FULL', status: 429, headers: { 'retry-after': expect.stringMatching(/^[1-9]\d*$/) } });

    // the two admitted waiters are still served, in turn
    first.release();
    (await waiters[0]).release();
    (await waiters[1]).release();
    expect(pool.waiting).toBe(0);
  });

  it('answers 503 to a caller that waited queueTimeoutMs, and forgets it', async () => {
    const { pool } = makePool({ credentials: named('a'), settings: { throttle: { maxConcurrent: 1, queueTimeoutMs: 60 } } });
    const first = take(pool);
    const started = Date.now();
    const err: unknown = await Promise.resolve(pool.acquire(MODEL, new CallSignal())).catch((e: unknown) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(59);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ id: 'SWB_ERR_QUEUE_TIMEOUT', status: 503 });
    expect(pool.waiting).toBe(0);

    first.release();
    expect(view(pool, 'a').inFlight).toBe(0); // nobody took the freed slot
    take(pool).release();
  });

  it('drops a waiter whose CallSignal aborts, rejecting with the abort reason', async () => {
    const { pool } = makePool({ credentials: named('a'), settings: { throttle: { maxConcurrent: 1 } } });
    const first = take(pool);
    const signal = new CallSignal();
    const waiting = pool.acquire(MODEL, signal);
    const reason = new Error('client went away');
    signal.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(pool.waiting).toBe(0);
    expect(signal.listening).toBe(false);

    first.release();
    expect(view(pool, 'a')).toMatchObject({ inFlight: 0, requests: 1 });
    take(pool).release();
  });
});

describe('request windows (throttle.windows)', () => {
  it('at most N requests per credential per window; all full: exhausted until the first window ends', () => {
    const { pool, clock } = makePool({ credentials: named('a', 'b'), settings: { throttle: { windows: [{ requests: 3, windowMs: 60_000 }] } } });
    expect(rotate(pool, 6).sort()).toEqual(['a', 'a', 'a', 'b', 'b', 'b']);
    const full = exhaustion(pool);
    expect(full.freeAt).toBe(T0 + 60_000);
    expect(full.summary).toBe('2 request window full (3 per 1min)');
    expect(view(pool, 'a')).toMatchObject({ cooldownReason: 'request window full (3 per 1min)', cooldownUntil: T0 + 60_000 });
    clock.advance(60_000);
    expect(rotate(pool, 2).sort()).toEqual(['a', 'b']); // a new window opens with the next request
  });

  it('a day window beside a minute window: the longer one rests the credential to its end; the count survives a restart', () => {
    const windows = [{ requests: 2, windowMs: 60_000 }, { requests: 3, windowMs: 86_400_000 }];
    const store = new MemoryStore();
    const clock = new ManualClock(T0);
    const settings = { throttle: { windows } };
    let { pool } = makePool({ credentials: named('a'), settings, store, clock });
    rotate(pool, 2);
    expect(exhaustion(pool).freeAt).toBe(T0 + 60_000);
    clock.advance(60_000);
    ({ pool } = makePool({ credentials: named('a'), settings, store, clock })); // restart: same store
    rotate(pool, 1); // third of the day
    const day = exhaustion(pool);
    expect(day.freeAt).toBe(T0 + 86_400_000);
    expect(day.summary).toContain('3 per 1d');
  });

  it('a stats reset keeps the window counts: a full window still rests the credential', () => {
    const { pool, clock } = makePool({ credentials: named('a'), settings: { throttle: { windows: [{ requests: 2, windowMs: 60_000 }] } } });
    rotate(pool, 2);
    clock.advance(1000);
    pool.resetStats();
    expect(view(pool, 'a')).toMatchObject({ requests: 0, cooldownReason: 'request window full (2 per 1min)', cooldownUntil: T0 + 60_000 });
    expect(servable(pool)).toBe(false);
  });

  it('scope model: each model of a credential counts on its own', () => {
    const { pool } = makePool({ credentials: named('a'), settings: { throttle: { scope: 'model', windows: [{ requests: 1, windowMs: 10_000 }] } } });
    expect(rotate(pool, 1, 'm1')).toEqual(['a']);
    expect(servable(pool, 'm1')).toBe(false);
    expect(rotate(pool, 1, 'm2')).toEqual(['a']);
  });
});

describe('state in the store', () => {
  it('survives a restart: cooldowns, disabled flags and counters', () => {
    const store = new MemoryStore();
    const clock = new ManualClock(T0);
    const credentials = named('a', 'b', 'c');
    const { pool: before } = makePool({ credentials, store, clock });
    take(before).fail('rate_limited', { message: '429', retryAfterMs: 60_000 }); // a
    take(before).fail('credential_invalid', { message: '401' }); // b
    take(before).succeed({ promptTokens: 3, completionTokens: 4 }); // c

    const { pool: after } = makePool({ credentials, store, clock });
    expect(view(after, 'a').models[MODEL]).toMatchObject({ cooldownUntil: T0 + 60_000, cooldownReason: 'rate limited', failures: 1 });
    expect(view(after, 'b')).toMatchObject({ enabled: false, disabledReason: 'credential_invalid', requests: 1 });
    expect(view(after, 'c')).toMatchObject({ requests: 1, successes: 1, tokensIn: 3, tokensOut: 4 });
    expect(rotate(after, 2)).toEqual(['c', 'c']);
    clock.set(T0 + 60_000);
    expect(rotate(after, 2).sort()).toEqual(['a', 'c']);
  });

  it('drops a credential removed from the config from the section', () => {
    const store = new MemoryStore();
    const { pool: before } = makePool({ store });
    rotate(before, 3);
    expect(Object.keys(store.data.pools[PROVIDER]).sort()).toEqual(['a', 'b', 'c']);

    makePool({ credentials: named('a', 'b'), store });
    expect(Object.keys(store.data.pools[PROVIDER]).sort()).toEqual(['a', 'b']);
  });

  it('hydrates records with wrong types safely, and a __proto__ model key pollutes nothing', () => {
    const store = new MemoryStore();
    store.data.pools[PROVIDER] = {
      a: JSON.parse(`{
        "requests": "x", "successes": 2, "enabled": "yes", "skipRequests": null, "cooldownUntil": "soon",
        "failuresByKind": { "transient": "3", "rate_limited": 1 },
        "models": { "__proto__": { "requests": 5, "polluted": true }, "m1": "junk", "m2": { "requests": 4, "denied": "true" } }
      }`),
    };
    const { pool } = makePool({ credentials: named('a'), store });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('requests');

    const a = view(pool, 'a');
    expect(a).toMatchObject({ requests: 0, successes: 2, enabled: true, skipRequests: 0, failuresByKind: { rate_limited: 1 } });
    expect(a.failuresByKind).not.toHaveProperty('transient');
    expect(a.cooldownUntil).toBeUndefined();
    expect(Object.keys(a.models).sort()).toEqual(['__proto__', 'm2']);
    expect(a.models['__proto__'].requests).toBe(5);
    expect(a.models.m2).toMatchObject({ requests: 4 });
    expect(a.models.m2.denied).toBeUndefined();
    expect(servable(pool, 'm2')).toBe(true); // "true" as a string denies nothing
  });
});

describe('snapshot', () => {
  it('regression: shown ids stay unique when two secrets share their last 4 characters and hash digits', () => {
    // Search for two such secrets (about 300 tries by the birthday bound; deterministic).
    const byId = new Map<string, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; !pair; i++) {
      const secret = `sk-collide-${i}-wxyz`;
      const id = toCredential({ secret }).id;
      const other = byId.get(id);
      if (other) pair = [other, secret];
      else byId.set(id, secret);
    }
    const { pool } = makePool({ credentials: [...pair, 'short'].map((secret) => toCredential({ secret })) });
    const ids = pool.snapshot().map((v) => v.id);
    expect(new Set(ids).size).toBe(3);
    expect(ids[0]).toMatch(/^sk-…wxyz·[0-9a-f]{8}$/);
    for (const [i, secret] of pair.entries()) expect(pool.find(ids[i])?.credential?.secret).toBe(secret);
    // The shared short form names both: find() refuses to pick one.
    expect(pool.findAll(toCredential({ secret: pair[0] }).id)).toHaveLength(2);
    expect(pool.find(toCredential({ secret: pair[0] }).id)).toBeUndefined();
  });

  it('shows masked ids or names and per-model counters, never the secret', () => {
    const unnamed = toCredential({ secret: 'sk-proj-0123456789abcd' });
    const teamB = toCredential({ secret: 'ghp_zzzzzzzzzzzzzzzz9876', name: 'team-b' });
    const { pool, store } = makePool({ credentials: [unnamed, teamB] });
    take(pool).succeed({ promptTokens: 10, completionTokens: 5 });
    take(pool).fail('rate_limited', { message: 'too many requests', retryAfterMs: 1_000 });

    const views = pool.snapshot();
    expect(views.map((v) => v.id)).toEqual([`sk-…abcd·${createHash('sha256').update('sk-proj-0123456789abcd').digest('hex').slice(0, 4)}`, 'team-b']);
    expect(views[0].key).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(views[0]).toMatchObject({ requests: 1, successes: 1, tokensIn: 10, tokensOut: 5, lastUsedAt: T0 });
    expect(views[0].models[MODEL]).toMatchObject({ requests: 1, successes: 1, failures: 0, tokensIn: 10, tokensOut: 5 });
    expect(views[1]).toMatchObject({ name: 'team-b', failures: 1, lastError: 'rate_limited: too many requests', failuresByKind: { rate_limited: 1 } });

    for (const text of [JSON.stringify(views), JSON.stringify(store.data)]) {
      expect(text).not.toContain('0123456789abcd');
      expect(text).not.toContain('zzzzzzzzzzzzzzzz9876');
    }
  });
});
