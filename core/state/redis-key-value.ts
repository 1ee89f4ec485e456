import type { Redis } from 'ioredis';
import { checkKey, type KeyValueOptions, type KeyValueStore } from './key-value.js';

/**
 * The `redis` driver's key-value store: each document a Redis key with its TTL (so any instance
 * reads it, and Redis itself forgets it), plus a sorted set of keys by age for the size cap.
 * The client's `keyPrefix` applies to both.
 */
export class RedisKeyValue implements KeyValueStore {
  readonly #index: string;

  constructor(
    private readonly client: Redis,
    private readonly namespace: string,
    private readonly options: KeyValueOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.#index = `${namespace}:index`;
  }

  #key(key: string): string {
    return `${this.namespace}:${key}`;
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.client.get(this.#key(key))) ?? undefined;
  }

  async set(key: string, value: string): Promise<void> {
    checkKey(key);
    const now = this.now();
    const [, , , [, size]] = (await this.client
      .multi()
      .set(this.#key(key), value, 'PX', this.options.ttlMs)
      .zadd(this.#index, now, key)
      .zremrangebyscore(this.#index, '-inf', now - this.options.ttlMs)
      .zcard(this.#index)
      .exec()) as [Error | null, unknown][] as [unknown, unknown, unknown, [unknown, number]];
    const over = size - this.options.maxEntries;
    if (over <= 0) return;
    const oldest = await this.client.zrange(this.#index, 0, over - 1);
    if (!oldest.length) return;
    await this.client.multi().del(...oldest.map((k) => this.#key(k))).zrem(this.#index, ...oldest).exec();
  }

  async delete(key: string): Promise<boolean> {
    const [[, removed]] = (await this.client.multi().del(this.#key(key)).zrem(this.#index, key).exec()) as [Error | null, number][];
    return removed > 0;
  }

  /** The client is the state driver's, which closes it. */
  async close(): Promise<void> {}
}
