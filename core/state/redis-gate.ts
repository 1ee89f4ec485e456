/**
 * The shared gate of the `redis` driver (see core/state/gate.ts): whether a credential may start a
 * request now, decided by one Lua script on Redis's clock; cooldowns written as expiring keys.
 * While Redis cannot be reached it admits everything: the instance decides alone.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { GateVerdict, ReserveRequest, SharedGate } from './gate.js';
import { windowReason } from './request-windows.js';
import type { ClusterEvent } from './events.js';

/** A lease a crashed instance never released frees itself after this long (longer than any stream). */
const LEASE_TTL_MS = 15 * 60_000;

/**
 * Before a lease that ended is freed alone, it waits this long for the next reserve to carry it:
 * one round trip per gated request instead of two. A slot stays taken at most this much longer.
 */
const RELEASE_FLUSH_MS = 2;

/**
 * Every reserve asked for in one turn of the event loop goes to Redis as one script call (and the
 * ended leases queued by then ride along): at c=32 one write and one read serve several requests.
 *
 * KEYS: the in-flight set of each ended lease this call frees first, then per reserve: last start,
 * in-flight set, credential cooldown, model cooldown, one counter per request window. ARGV[1]: how
 * many ended leases, then their tokens, then per reserve: its window count, minIntervalMs,
 * maxConcurrent, lease token, lease TTL, then per window its request limit and length. Redis's own
 * clock decides, so instances' clocks may differ. Returns three numbers per reserve, in order:
 * {0, now} admitted (at Redis's time), {1, ms} throttled, {2} busy, {3, ms} credential cooling,
 * {4, ms} model cooling, {5, ms, i} window i full (0 where a field does not apply).
 */
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function reserve(k, a, w)
  local c = redis.call('PTTL', KEYS[k + 3])
  if c > 0 then return 3, c end
  local m = redis.call('PTTL', KEYS[k + 4])
  if m > 0 then return 4, m end
  for j = 1, w do
    local used = tonumber(redis.call('GET', KEYS[k + 4 + j]) or '0')
    if used >= tonumber(ARGV[a + 3 + 2 * j]) then return 5, redis.call('PTTL', KEYS[k + 4 + j]), j end
  end
  local interval = tonumber(ARGV[a + 1])
  if interval > 0 then
    local last = tonumber(redis.call('GET', KEYS[k + 1]) or '0')
    if now < last + interval then return 1, last + interval - now end
  end
  local cap = tonumber(ARGV[a + 2])
  if cap > 0 then
    local ttl = tonumber(ARGV[a + 4])
    -- Leases a crashed instance left behind are swept only when they could be what fills the set.
    if redis.call('ZCARD', KEYS[k + 2]) >= cap then
      redis.call('ZREMRANGEBYSCORE', KEYS[k + 2], '-inf', now)
      if redis.call('ZCARD', KEYS[k + 2]) >= cap then return 2, 0 end
    end
    redis.call('ZADD', KEYS[k + 2], now + ttl, ARGV[a + 3])
    redis.call('PEXPIRE', KEYS[k + 2], ttl)
  end
  if interval > 0 then redis.call('SET', KEYS[k + 1], now, 'PX', interval) end
  for j = 1, w do
    if redis.call('INCR', KEYS[k + 4 + j]) == 1 then redis.call('PEXPIRE', KEYS[k + 4 + j], tonumber(ARGV[a + 4 + 2 * j])) end
  end
  return 0, now
end
local e = tonumber(ARGV[1])
for i = 1, e do redis.call('ZREM', KEYS[i], ARGV[i + 1]) end
local out = {}
local k, a = e, e + 1
while a < #ARGV do
  local w = tonumber(ARGV[a + 1])
  local code, ms, which = reserve(k, a + 1, w)
  out[#out + 1] = code
  out[#out + 1] = ms or 0
  out[#out + 1] = which or 0
  k = k + 4 + w
  a = a + 5 + 2 * w
end
return out
`;

type GatedRedis = Redis & { swbReserve(numKeys: number, keys: string[], args: (string | number)[]): Promise<number[]> };

/** Teach the client the gate's script (once, before connecting). */
export function defineGate(client: Redis): void {
  client.defineCommand('swbReserve', { lua: RESERVE });
}

/** A reserve waiting for this turn's script call. */
interface Asked {
  req: ReserveRequest;
  token: string;
  resolve(verdict: GateVerdict): void;
}

/** What the gate needs of its store: whether Redis is reachable, how to say it is not, and pub/sub. */
export interface GateLink {
  readonly degraded: boolean;
  lost(why: string): void;
  publish(event: ClusterEvent): void;
}

export class RedisGate implements SharedGate {
  /** Reserves asked for this turn of the event loop, sent together (see RESERVE). */
  #asked: Asked[] = [];
  /** Ended leases not yet freed on Redis: in-flight set keys and tokens, side by side. */
  #endedKeys: string[] = [];
  #endedTokens: string[] = [];
  #flushTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: Redis,
    private readonly link: GateLink,
  ) {}

  reserve(req: ReserveRequest): Promise<GateVerdict> {
    if (this.link.degraded) return Promise.resolve({ ok: true, token: undefined });
    const token = req.maxConcurrent > 0 ? randomUUID() : '';
    return new Promise((resolve) => {
      if (this.#asked.push({ req, token, resolve }) === 1) setImmediate(this.#send);
    });
  }

  /** One script call for every reserve asked for since the last one. */
  #send = (): void => {
    const asked = this.#asked;
    this.#asked = [];
    if (this.link.degraded) {
      for (const a of asked) a.resolve({ ok: true, token: undefined });
      return;
    }
    const keys = this.#endedKeys;
    const args: (string | number)[] = [keys.length, ...this.#endedTokens];
    this.#takeEnded(); // the arrays taken are this call's from here on
    for (const { req, token } of asked) {
      const base = `${req.provider}:${req.credential}`;
      const scoped = `${base}${req.perModel ? `:m:${req.model}` : ''}`;
      keys.push(`t:${scoped}`, `f:${base}`, `c:${base}`, `c:${base}:m:${req.model}`);
      args.push(req.windows.length, req.minIntervalMs, req.maxConcurrent, token, LEASE_TTL_MS);
      for (const w of req.windows) {
        keys.push(`w:${scoped}:${w.windowMs}`);
        args.push(w.requests, w.windowMs);
      }
    }
    (this.client as GatedRedis).swbReserve(keys.length, keys, args).then(
      (out) => {
        for (let i = 0; i < asked.length; i++) asked[i].resolve(verdict(asked[i], out[3 * i], out[3 * i + 1], out[3 * i + 2]));
      },
      (err: Error) => {
        this.link.lost(err.message);
        for (const a of asked) a.resolve({ ok: true, token: undefined });
      },
    );
  };

  /** Queued for the next reserve to free (see RELEASE_FLUSH_MS), or freed alone soon after. */
  release(provider: string, credential: string, token: string): void {
    if (this.link.degraded) return; // the entry expires on its own
    this.#endedKeys.push(`f:${provider}:${credential}`);
    this.#endedTokens.push(token);
    this.#flushTimer ??= setTimeout(() => this.flushReleases(), RELEASE_FLUSH_MS).unref();
  }

  /** Free every queued ended lease now, without waiting for a reserve to carry them. */
  flushReleases(): Promise<void> {
    if (this.#endedKeys.length === 0) return Promise.resolve();
    const keys = this.#endedKeys;
    const tokens = this.#endedTokens;
    this.#takeEnded();
    if (this.link.degraded) return Promise.resolve();
    const batch = this.client.pipeline();
    for (let i = 0; i < keys.length; i++) batch.zrem(keys[i], tokens[i]);
    return batch.exec().then(
      () => undefined,
      (err: Error) => this.link.lost(err.message),
    );
  }

  #takeEnded(): void {
    this.#endedKeys = [];
    this.#endedTokens = [];
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
  }

  cool(provider: string, credential: string, model: string | undefined, ms: number, reason: string | undefined): void {
    if (this.link.degraded || ms <= 0) return;
    const key = `c:${provider}:${credential}${model === undefined ? '' : `:m:${model}`}`;
    this.client.set(key, '1', 'PX', Math.ceil(ms)).catch((err: Error) => this.link.lost(err.message));
    // Instances that do not ask the gate before each request (no throttle) hear it at once.
    this.link.publish({ type: 'cooled', provider, credential, ...(model === undefined ? {} : { model }), ms: Math.ceil(ms), ...(reason ? { reason } : {}) });
  }

  clear(provider: string, credential: string, models: readonly string[]): void {
    if (this.link.degraded) return;
    const base = `c:${provider}:${credential}`;
    this.client.del(base, ...models.map((m) => `${base}:m:${m}`)).catch((err: Error) => this.link.lost(err.message));
  }
}

function verdict({ req, token }: Asked, code: number, ms: number, which: number): GateVerdict {
  switch (code) {
    case 0:
      return { ok: true, token: token || undefined, at: ms };
    case 1:
      return { ok: false, why: 'throttled', waitMs: ms };
    case 2:
      return { ok: false, why: 'busy' };
    case 5:
      return { ok: false, why: 'cooling', scope: req.perModel ? 'model' : 'credential', waitMs: ms, reason: windowReason(req.windows[which - 1]) };
    default:
      return { ok: false, why: 'cooling', scope: code === 3 ? 'credential' : 'model', waitMs: ms };
  }
}
