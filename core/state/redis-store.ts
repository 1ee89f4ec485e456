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
import { windowReason } from '../pool/request-windows.js';
import type { StateConfig } from './open-store.js';
import { parseEvent, type ClusterEvent, type SharedEvents } from './events.js';
import { DocumentSync, SYNC_LUA, type SyncingRedis } from './redis-sync.js';
import { emptyDocument, type StateDocument, type StateStore } from './store.js';

/** A lease a crashed instance never released frees itself after this long (longer than any stream). */
const LEASE_TTL_MS = 15 * 60_000;

/**
 * KEYS: last start, in-flight set, credential cooldown, model cooldown, then one counter per
 * request window. ARGV: minIntervalMs, maxConcurrent, lease token, lease TTL, then per window its
 * request limit and length. Redis's own clock decides, so instances' clocks may differ.
 * Returns {0} admitted, {1, ms} throttled, {2} busy, {3, ms} credential cooling, {4, ms} model
 * cooling, {5, ms, i} window i full.
 */
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local c = redis.call('PTTL', KEYS[3])
if c > 0 then return {3, c} end
local m = redis.call('PTTL', KEYS[4])
if m > 0 then return {4, m} end
for j = 5, #KEYS do
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
for j = 5, #KEYS do
  if redis.call('INCR', KEYS[j]) == 1 then redis.call('PEXPIRE', KEYS[j], tonumber(ARGV[2 * j - 4])) end
end
return {0, 0}
`;

type SharedRedis = SyncingRedis & { swbReserve(numKeys: number, ...args: (string | number)[]): Promise<[number, number, number?]> };

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
  }) as SharedRedis;
  client.defineCommand('swbReserve', { lua: RESERVE });
  client.defineCommand('swbSync', { lua: SYNC_LUA });
  client.on('error', () => undefined); // outages are reported once, by the store
  // Pub/sub needs a connection of its own; ioredis subscribes it again after a reconnect.
  const subscriber = client.duplicate();
  subscriber.on('error', () => undefined);
  let store: RedisStore | undefined;
  try {
    await client.connect();
    await subscriber.connect();
    await subscriber.subscribe(`${config.keyPrefix}events`);
    const sync = await DocumentSync.open(client, emptyDocument(), (err) => store?.lost(err.message));
    store = new RedisStore(client, subscriber, config, sync, log);
    return store;
  } catch (err) {
    client.disconnect();
    subscriber.disconnect();
    throw new StartupError('SWB_ERR_REDIS_UNREACHABLE', `cannot reach Redis at ${safeRedisUrl(config.url)} (state.driver: redis): ${(err as Error).message}`);
  }
}

export class RedisStore implements StateStore, SharedGate, SharedEvents {
  readonly driver = 'redis';
  /** True while Redis cannot be reached: decisions are this instance's alone. */
  degraded = false;
  readonly data: StateDocument;
  #ticker: NodeJS.Timeout;
  #closed = false;
  #probeTimer: NodeJS.Timeout | undefined;
  /** Tags this instance's messages, so it does not act on its own. */
  readonly #self = randomUUID();
  readonly #channel: string;
  readonly #handlers: ((e: ClusterEvent) => void)[] = [];

  constructor(
    private readonly client: SharedRedis,
    private readonly subscriber: Redis,
    private readonly config: StateConfig,
    private readonly sync: DocumentSync,
    private readonly log: Logger,
  ) {
    this.data = sync.data;
    sync.onCredentials = (provider) => this.#tell({ type: 'credentials', provider });
    client.on('ready', () => this.#up());
    client.on('close', () => this.lost('the connection closed'));
    // Counters and records meet the other instances' on a timer, never on a request's path.
    this.#ticker = setInterval(() => {
      if (!this.degraded) void sync.run();
    }, config.syncIntervalMs);
    this.#ticker.unref();
    this.#channel = `${config.keyPrefix}events`;
    subscriber.on('message', (_channel: string, text: string) => this.#heard(text));
  }

  get gate(): SharedGate {
    return this;
  }

  get events(): SharedEvents {
    return this;
  }

  publish(event: ClusterEvent): void {
    if (this.degraded) return;
    this.client.publish(this.#channel, JSON.stringify({ ...event, from: this.#self })).catch((err: Error) => this.lost(err.message));
  }

  subscribe(handler: (event: ClusterEvent) => void): void {
    this.#handlers.push(handler);
  }

  #heard(text: string): void {
    const e = parseEvent(text);
    if (e && (e as { from?: string }).from !== this.#self) this.#tell(e);
  }

  #tell(e: ClusterEvent): void {
    for (const h of this.#handlers) h(e);
  }

  saveBreaker(provider: string, model: string, openMs: number): void {
    if (this.degraded) return;
    const key = `b:${provider}`;
    const done = openMs > 0 ? this.client.hset(key, model, String(Date.now() + openMs)) : this.client.hdel(key, model);
    done.catch((err: Error) => this.lost(err.message));
  }

  async openBreakers(provider: string): Promise<Record<string, number>> {
    const out: Record<string, number> = Object.create(null);
    if (this.degraded) return out;
    const now = Date.now();
    try {
      // Deadlines are the writer's clock: instances' clocks are assumed to agree within a second or so.
      for (const [model, until] of Object.entries(await this.client.hgetall(`b:${provider}`))) if (Number(until) > now) out[model] = Number(until) - now;
    } catch (err) {
      this.lost((err as Error).message);
    }
    return out;
  }

  clearBreakers(provider: string): void {
    if (!this.degraded) this.client.del(`b:${provider}`).catch((err: Error) => this.lost(err.message));
  }

  clear(provider: string, credential: string, models: readonly string[]): void {
    if (this.degraded) return;
    const base = `c:${provider}:${credential}`;
    this.client.del(base, ...models.map((m) => `${base}:m:${m}`)).catch((err: Error) => this.lost(err.message));
  }

  /** The next tick sends it. */
  changed(): void {}

  /** Send what changed here and take in what the other instances changed. */
  async flush(): Promise<void> {
    if (!this.degraded) await this.sync.run();
  }

  /** Before showing state: bring in what the other instances have sent. */
  refresh(): Promise<void> {
    return this.flush();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    clearInterval(this.#ticker);
    await this.flush();
    this.#closed = true;
    if (this.#probeTimer) clearTimeout(this.#probeTimer);
    this.client.disconnect();
    this.subscriber.disconnect();
  }

  async reserve(req: ReserveRequest): Promise<GateVerdict> {
    if (this.degraded) return { ok: true, token: undefined };
    const base = `${req.provider}:${req.credential}`;
    const scoped = `${base}${req.perModel ? `:m:${req.model}` : ''}`;
    const token = req.maxConcurrent > 0 ? randomUUID() : '';
    const windows = req.windows;
    try {
      const [code, ms, which] = await this.client.swbReserve(
        4 + windows.length,
        `t:${scoped}`,
        `f:${base}`,
        `c:${base}`,
        `c:${base}:m:${req.model}`,
        ...windows.map((w) => `w:${scoped}:${w.windowMs}`),
        req.minIntervalMs,
        req.maxConcurrent,
        token,
        LEASE_TTL_MS,
        ...windows.flatMap((w) => [w.requests, w.windowMs]),
      );
      switch (code) {
        case 0:
          return { ok: true, token: token || undefined };
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
      this.lost((err as Error).message);
      return { ok: true, token: undefined };
    }
  }

  release(provider: string, credential: string, token: string): void {
    if (this.degraded) return; // the entry expires on its own
    this.client.zrem(`f:${provider}:${credential}`, token).catch((err: Error) => this.lost(err.message));
  }

  cool(provider: string, credential: string, model: string | undefined, ms: number, reason: string | undefined): void {
    if (this.degraded || ms <= 0) return;
    const key = `c:${provider}:${credential}${model === undefined ? '' : `:m:${model}`}`;
    this.client.set(key, '1', 'PX', Math.ceil(ms)).catch((err: Error) => this.lost(err.message));
    // Instances that do not ask the gate before each request (no throttle) hear it at once.
    this.publish({ type: 'cooled', provider, credential, ...(model === undefined ? {} : { model }), ms: Math.ceil(ms), ...(reason ? { reason } : {}) });
  }

  /** Redis failed us: decide alone, say so once, and look for it every second. */
  lost(why: string): void {
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
    void this.sync.run(); // what changed meanwhile is sent now
  }
}
