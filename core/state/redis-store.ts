/**
 * The `redis` state driver: the state document lives in Redis (so a restart, or another host,
 * finds it: core/state/redis-sync.ts), the decisions instances must share go through a Lua gate
 * there (core/state/redis-gate.ts), and admin actions and breakers travel by pub/sub. When Redis goes away at run time each instance carries on alone, says so
 * once, and joins again when Redis is back.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from '../contract/provider.js';
import { StartupError } from '../errors/gateway-error.js';
import type { StateConfig } from '../config/types.js';
import { defineGate, RedisGate } from './redis-gate.js';
import { parseEvent, type ClusterEvent, type SharedEvents } from './events.js';
import { DocumentSync } from './redis-sync.js';
import { SYNC_LUA, type SyncingRedis } from './sync-script.js';
import { emptyDocument, type StateDocument, type StateStore } from './store.js';
import type { KeyValueOptions, KeyValueStore } from './key-value.js';
import { RedisKeyValue } from './redis-key-value.js';
import { RedisCounters } from './redis-counters.js';
import type { HourlyCounters } from './hourly-counters.js';
import { safeRedisUrl } from './redis-url.js';

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
  }) as SyncingRedis;
  defineGate(client);
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

export class RedisStore implements StateStore, SharedEvents {
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
  readonly #counters: RedisCounters[] = [];

  constructor(
    private readonly client: SyncingRedis,
    private readonly subscriber: Redis,
    private readonly config: StateConfig,
    private readonly sync: DocumentSync,
    private readonly log: Logger,
  ) {
    this.data = sync.data;
    this.gate = new RedisGate(client, this);
    sync.onCredentials = (provider) => this.#tell({ type: 'credentials', provider });
    client.on('ready', () => this.#up());
    client.on('close', () => this.lost('the connection closed'));
    // Counters and records meet the other instances' on a timer, never on a request's path.
    this.#ticker = setInterval(() => {
      if (this.degraded) return;
      void sync.run();
      for (const c of this.#counters) void c.flush();
    }, config.syncIntervalMs);
    this.#ticker.unref();
    this.#channel = `${config.keyPrefix}events`;
    subscriber.on('message', (_channel: string, text: string) => this.#heard(text));
  }

  readonly gate: RedisGate;

  get events(): SharedEvents {
    return this;
  }

  async keyValue(namespace: string, options: KeyValueOptions): Promise<KeyValueStore> {
    return new RedisKeyValue(this.client, namespace, options);
  }

  /** Shared: HINCRBY per hour, sent on the sync tick. */
  hourlyCounters(namespace: string, retentionMs: number): HourlyCounters {
    const counters = new RedisCounters(this.client, namespace, retentionMs, this);
    this.#counters.push(counters);
    return counters;
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



  /** The next tick sends it (only what is named, when a place is named). */
  changed(provider?: string, credential?: string): void {
    this.sync.touched(provider, credential);
  }

  /** Send what changed here and take in what the other instances changed. */
  async flush(): Promise<void> {
    if (this.degraded) return;
    await Promise.all([this.sync.run(), ...this.#counters.map((c) => c.flush())]);
  }

  /** Before showing state: bring in what the other instances have sent. */
  refresh(): Promise<void> {
    return this.flush();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    clearInterval(this.#ticker);
    await this.gate.flushReleases();
    await this.flush();
    this.#closed = true;
    if (this.#probeTimer) clearTimeout(this.#probeTimer);
    this.client.disconnect();
    this.subscriber.disconnect();
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
