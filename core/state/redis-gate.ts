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
 * KEYS: last start, in-flight set, credential cooldown, model cooldown, then one counter per
 * request window, then the in-flight set of each ended lease this call frees first. ARGV:
 * minIntervalMs, maxConcurrent, lease token, lease TTL, then per window its request limit and
 * length, then the ended leases' tokens. Redis's own clock decides, so instances' clocks may differ.
 * Returns {0, now} admitted (at Redis's time), {1, ms} throttled, {2} busy, {3, ms} credential
 * cooling, {4, ms} model cooling, {5, ms, i} window i full.
 */
const RESERVE = `
local w = #ARGV - #KEYS
for i = 5 + w, #KEYS do redis.call('ZREM', KEYS[i], ARGV[i + w]) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local c = redis.call('PTTL', KEYS[3])
if c > 0 then return {3, c} end
local m = redis.call('PTTL', KEYS[4])
if m > 0 then return {4, m} end
for j = 5, 4 + w do
  local used = tonumber(redis.call('GET', KEYS[j]) or '0')
  if used >= tonumber(ARGV[2 * j - 5]) then return {5, redis.call('PTTL', KEYS[j]), j - 4} end
end
local interval = tonumber(ARGV[1])
if interval > 0 then
  local last = tonumber(redis.call('GET', KEYS[1]) or '0')
  if now < last + interval then return {1, last + interval - now} end
end
local cap = tonumber(ARGV[2])
if cap > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  if redis.call('ZCARD', KEYS[2]) >= cap then return {2, 0} end
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[4]), ARGV[3])
  redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[4]))
end
if interval > 0 then redis.call('SET', KEYS[1], now, 'PX', interval) end
for j = 5, 4 + w do
  if redis.call('INCR', KEYS[j]) == 1 then redis.call('PEXPIRE', KEYS[j], tonumber(ARGV[2 * j - 4])) end
end
return {0, now}
`;

type GatedRedis = Redis & { swbReserve(numKeys: number, ...args: (string | number)[]): Promise<[number, number, number?]> };

/** Teach the client the gate's script (once, before connecting). */
export function defineGate(client: Redis): void {
  client.defineCommand('swbReserve', { lua: RESERVE });
}

/** What the gate needs of its store: whether Redis is reachable, how to say it is not, and pub/sub. */
export interface GateLink {
  readonly degraded: boolean;
  lost(why: string): void;
  publish(event: ClusterEvent): void;
}

export class RedisGate implements SharedGate {
  /** Ended leases not yet freed on Redis: in-flight set keys and tokens, side by side. */
  #endedKeys: string[] = [];
  #endedTokens: string[] = [];
  #flushTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: Redis,
    private readonly link: GateLink,
  ) {}

  async reserve(req: ReserveRequest): Promise<GateVerdict> {
    if (this.link.degraded) return { ok: true, token: undefined };
    const base = `${req.provider}:${req.credential}`;
    const scoped = `${base}${req.perModel ? `:m:${req.model}` : ''}`;
    const token = req.maxConcurrent > 0 ? randomUUID() : '';
    const windows = req.windows;
    const endedKeys = this.#endedKeys;
    const endedTokens = this.#endedTokens;
    if (endedKeys.length > 0) this.#takeEnded();
    try {
      const [code, ms, which] = await (this.client as GatedRedis).swbReserve(
        4 + windows.length + endedKeys.length,
        `t:${scoped}`,
        `f:${base}`,
        `c:${base}`,
        `c:${base}:m:${req.model}`,
        ...windows.map((w) => `w:${scoped}:${w.windowMs}`),
        ...endedKeys,
        req.minIntervalMs,
        req.maxConcurrent,
        token,
        LEASE_TTL_MS,
        ...windows.flatMap((w) => [w.requests, w.windowMs]),
        ...endedTokens,
      );
      switch (code) {
        case 0:
          return { ok: true, token: token || undefined, at: ms };
        case 1:
          return { ok: false, why: 'throttled', waitMs: ms };
        case 2:
          return { ok: false, why: 'busy' };
        case 5:
          return { ok: false, why: 'cooling', scope: req.perModel ? 'model' : 'credential', waitMs: ms, reason: windowReason(windows[(which ?? 1) - 1]) };
        default:
          return { ok: false, why: 'cooling', scope: code === 3 ? 'credential' : 'model', waitMs: ms };
      }
    } catch (err) {
      this.link.lost((err as Error).message);
      return { ok: true, token: undefined };
    }
  }

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
  }}
