/**
 * Usage counters per hour in each state driver: two instances sharing Redis add into the same
 * hours (HINCRBY, nothing overwritten), a file store keeps them across a restart, and hours past
 * the retention are dropped.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openFileStore } from '../core/state/file-store.js';
import { openRedisStore } from '../core/state/redis-store.js';
import { MemoryStore } from '../core/state/memory-store.js';
import { HOUR_MS } from '../core/state/hourly-counters.js';
import type { StateConfig } from '../core/config/types.js';
import { RedisCounters } from '../core/state/redis-counters.js';
import { Redis } from 'ioredis';

const quiet = { info() {}, warn() {}, error() {}, debug() {} } as never;
const T = Date.UTC(2026, 11, 2, 10, 30);

/** Leave nothing behind in the machine's Redis (the counters' hashes live for the 30-day retention). */
async function dropKeys(prefix: string): Promise<void> {
  const plain = new Redis('redis://127.0.0.1:6379');
  const keys = await plain.keys(`${prefix}*`);
  if (keys.length) await plain.del(...keys);
  plain.disconnect();
}

describe('hourly usage counters', () => {
  it('redis: two instances add into the same hour, and each reads the sum', async () => {
    const config: StateConfig = { driver: 'redis', path: '', debounceMs: 0, url: 'redis://127.0.0.1:6379', keyPrefix: `test-usage-${randomUUID()}:`, connectTimeoutMs: 2000, syncIntervalMs: 50, commandTimeoutMs: 500 };
    const [a, b] = [await openRedisStore(config, quiet), await openRedisStore(config, quiet)];
    try {
      const ca = a.hourlyCounters('usage', 30 * 86_400_000);
      const cb = b.hourlyCounters('usage', 30 * 86_400_000);
      ca.add(T, 'team-a\tgpt', [1, 10, 20, 0]);
      cb.add(T + 60_000, 'team-a\tgpt', [1, 5, 7, 1]);
      cb.add(T - HOUR_MS, 'team-b\tgpt', [2, 0, 0, 0]);
      await Promise.all([a.flush(), b.flush()]);
      const rows = await ca.read(T - 2 * HOUR_MS, T);
      expect(rows).toEqual([
        { hour: T - HOUR_MS - (T % HOUR_MS), key: 'team-b\tgpt', values: [2, 0, 0, 0] },
        { hour: T - (T % HOUR_MS), key: 'team-a\tgpt', values: [2, 15, 27, 1] },
      ]);
      expect(await cb.read(T, T)).toEqual([rows[1]]);
    } finally {
      await a.close();
      await b.close();
      await dropKeys(config.keyPrefix);
    }
  });

  it('redis: what Redis did not take in an outage is read from memory, then sent once, summed, when it is back', async () => {
    const prefix = `test-usage-${randomUUID()}:`;
    const client = new Redis('redis://127.0.0.1:6379', { keyPrefix: prefix, lazyConnect: true, maxRetriesPerRequest: 0 });
    await client.connect();
    const lost: string[] = [];
    const host = { degraded: false, lost: (why: string) => lost.push(why) };
    const counters = new RedisCounters(client, 'usage', 30 * 86_400_000, host);
    try {
      counters.add(T, 'team-a\tgpt', [1, 10, 20, 0]);
      // A failed send (here: the transaction refused) puts the batch back rather than losing it.
      const exec = client.multi;
      client.multi = (() => ({ hincrby() {}, pexpireat() {}, exec: () => Promise.reject(new Error('Connection is closed.')) })) as never;
      await counters.flush();
      client.multi = exec;
      expect(lost).toEqual(['Connection is closed.']);
      counters.add(T + 1000, 'team-a\tgpt', [1, 5, 7, 1]);
      host.degraded = true;
      await counters.flush(); // degraded: nothing is sent
      // Read while nothing has reached Redis: the pending sums still count.
      expect(await counters.read(T, T)).toEqual([{ hour: T - (T % HOUR_MS), key: 'team-a\tgpt', values: [2, 15, 27, 1] }]);
      host.degraded = false;
      await counters.flush();
      const fields = await client.hgetall(`c:usage:${T - (T % HOUR_MS)}`);
      expect(fields).toEqual({ '0|team-a\tgpt': '2', '1|team-a\tgpt': '15', '2|team-a\tgpt': '27', '3|team-a\tgpt': '1' });
      expect(await counters.read(T, T)).toEqual([{ hour: T - (T % HOUR_MS), key: 'team-a\tgpt', values: [2, 15, 27, 1] }]);
    } finally {
      client.disconnect();
      await dropKeys(prefix);
    }
  });

  it('file: kept across a restart; memory: hours past the retention are dropped', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'swb-usage-'));
    try {
      const path = join(dir, 'state.json');
      const first = await openFileStore({ path, debounceMs: 0, log: quiet });
      first.hourlyCounters('usage', 86_400_000).add(T, 'c\tm', [1, 2, 3, 0]);
      await first.close();
      const again = await openFileStore({ path, debounceMs: 0, log: quiet });
      expect(await again.hourlyCounters('usage', 86_400_000).read(T, T)).toEqual([{ hour: T - (T % HOUR_MS), key: 'c\tm', values: [1, 2, 3, 0] }]);
      await again.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const mem = new MemoryStore().hourlyCounters('usage', 2 * HOUR_MS);
    mem.add(T - 5 * HOUR_MS, 'old\tm', [1, 0, 0, 0]);
    mem.add(T, 'new\tm', [1, 0, 0, 0]);
    expect((await mem.read(T - 10 * HOUR_MS, T)).map((r) => r.key)).toEqual(['new\tm']);
  });
});
