/**
 * The `redis` state driver: the state document lives in Redis (so a restart, or another host,
 * finds it), and the decisions instances must share go through Lua scripts there (see
 * core/pool/gate.ts). When Redis goes away at run time each instance carries on alone, says so
 * once, and joins again when Redis is back.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from '../contract/provider.js';
import { StartupError } from '../errors/gateway-error.js';
import type { GateVerdict, ReserveRequest, SharedGate } from '../pool/gate.js';
import type { StateConfig } from './open-store.js';
import { emptyDocument, type StateDocument, type StateStore } from './store.js';

/** A lease a crashed instance never released frees itself after this long (longer than any stream). */
const LEASE_TTL_MS = 15 * 60_000;

/**
 * KEYS: last start, in-flight set, credential cooldown, model cooldown. ARGV: minIntervalMs,
 * maxConcurrent, lease token, lease TTL. Redis's own clock decides, so instances' clocks may differ.
 * Returns {0} admitted, {1, ms} throttled, {2} busy, {3, ms} credential cooling, {4, ms} model cooling.
 */
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local c = redis.call('PTTL', KEYS[3])
if c > 0 then return {3, c} end
local m = redis.call('PTTL', KEYS[4])
if m > 0 then return {4, m} end
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
return {0, 0}
`;

type RedisWithReserve = Redis & { swbReserve(k1: string, k2: string, k3: string, k4: string, ...argv: (string | number)[]): Promise<[number, number]> };

/** The URL without its password, for messages. */
export function safeRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '****';
    return u.toString();
  } catch {
    return '(unparseable Redis URL)';
  }
}

export async function openRedisStore(config: StateConfig, log: Logger): Promise<RedisStore> {
  const client = new Redis(config.url, {
    lazyConnect: true,
    keyPrefix: config.keyPrefix,
    connectTimeout: config.connectTimeoutMs,
    commandTimeout: config.commandTimeoutMs,
    // Fail at once while disconnected: a request decides alone rather than wait for Redis.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (times) => Math.min(100 * times, 2000),
  }) as RedisWithReserve;
  client.defineCommand('swbReserve', { numberOfKeys: 4, lua: RESERVE });
  client.on('error', () => undefined); // outages are reported once, by the store
  try {
    await client.connect();
    const raw = await client.get('state');
    const data = raw ? parseDocument(raw, log) : emptyDocument();
    return new RedisStore(client, config, data, log);
  } catch (err) {
    client.disconnect();
    throw new StartupError('SWB_ERR_REDIS_UNREACHABLE', `cannot reach Redis at ${safeRedisUrl(config.url)} (state.driver: redis): ${(err as Error).message}`);
  }
}

function parseDocument(raw: string, log: Logger): StateDocument {
  try {
    const doc = JSON.parse(raw) as StateDocument;
    if (doc && doc.version === 1 && typeof doc.pools === 'object') return doc;
  } catch {
    // fall through
  }
  log.warn({}, 'the state document in Redis is unreadable: starting afresh');
  return emptyDocument();
}

export class RedisStore implements StateStore, SharedGate {
  readonly driver = 'redis';
  /** True while Redis cannot be reached: decisions are this instance's alone. */
  degraded = false;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> | undefined;
  #closed = false;
  #probeTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: RedisWithReserve,
    private readonly config: StateConfig,
    readonly data: StateDocument,
    private readonly log: Logger,
  ) {
    client.on('ready', () => this.#up());
    client.on('close', () => this.#down('the connection closed'));
  }

  get gate(): SharedGate {
    return this;
  }

  changed(): void {
    if (this.#closed || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, this.config.debounceMs);
  }

  async flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#writing;
    this.#writing = this.client
      .set('state', JSON.stringify(this.data))
      .then(() => undefined)
      .catch((err: Error) => this.#down(err.message));
    await this.#writing;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.flush();
    this.#closed = true;
    if (this.#probeTimer) clearTimeout(this.#probeTimer);
    this.client.disconnect();
  }

  async reserve(req: ReserveRequest): Promise<GateVerdict> {
    if (this.degraded) return { ok: true, token: undefined };
    const base = `${req.provider}:${req.credential}`;
    const token = req.maxConcurrent > 0 ? randomUUID() : '';
    try {
      const [code, ms] = await this.client.swbReserve(
        `t:${base}${req.perModel ? `:m:${req.model}` : ''}`,
        `f:${base}`,
        `c:${base}`,
        `c:${base}:m:${req.model}`,
        req.minIntervalMs,
        req.maxConcurrent,
        token,
        LEASE_TTL_MS,
      );
      switch (code) {
        case 0:
          return { ok: true, token: token || undefined };
        case 1:
          return { ok: false, why: 'throttled', waitMs: ms };
        case 2:
          return { ok: false, why: 'busy' };
        default:
          return { ok: false, why: 'cooling', scope: code === 3 ? 'credential' : 'model', waitMs: ms };
      }
    } catch (err) {
      this.#down((err as Error).message);
      return { ok: true, token: undefined };
    }
  }

  release(provider: string, credential: string, token: string): void {
    if (this.degraded) return; // the entry expires on its own
    this.client.zrem(`f:${provider}:${credential}`, token).catch((err: Error) => this.#down(err.message));
  }

  cool(provider: string, credential: string, model: string | undefined, ms: number): void {
    if (this.degraded || ms <= 0) return;
    const key = `c:${provider}:${credential}${model === undefined ? '' : `:m:${model}`}`;
    this.client.set(key, '1', 'PX', Math.ceil(ms)).catch((err: Error) => this.#down(err.message));
  }

  #down(why: string): void {
    if (this.#closed || this.degraded) return;
    this.degraded = true;
    this.log.warn({ redis: safeRedisUrl(this.config.url), err: why }, 'Redis is unreachable: this instance decides alone until it is back');
    this.#probe();
  }

  /** While degraded, ask every second: a timed-out command leaves no reconnect event to wait for. */
  #probe(): void {
    this.#probeTimer = setTimeout(() => {
      this.#probeTimer = undefined;
      if (!this.degraded || this.#closed) return;
      this.client.ping().then(() => this.#up(), () => this.#probe());
    }, 1000);
    this.#probeTimer.unref();
  }

  #up(): void {
    if (!this.degraded || this.#closed) return;
    this.degraded = false;
    if (this.#probeTimer) clearTimeout(this.#probeTimer);
    this.#probeTimer = undefined;
    this.log.info({ redis: safeRedisUrl(this.config.url) }, 'Redis is back: instances decide together again');
    this.changed(); // what changed meanwhile is written now
  }
}
