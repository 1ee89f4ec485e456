/**
 * The key-value store each state driver keeps beside its document (stored responses): the same
 * behaviour from memory, from a folder beside the state file, and from Redis.
 */
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StateConfig } from '../core/config/types.js';
import { LOG_NAME, openFileKeyValue } from '../core/state/file-key-value.js';
import { MemoryKeyValue } from '../core/state/key-value.js';
import { openStateStore } from '../core/state/open-store.js';
import { RedisKeyValue } from '../core/state/redis-key-value.js';
import type { StateStore } from '../core/state/store.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const log = { info() {}, warn() {}, error() {}, debug() {} } as never;
let dir: string;
let redis: Redis;
const prefix = `swb-kv-test-${randomUUID().slice(0, 8)}:`;
const stores: StateStore[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swb-kv-'));
  redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, keyPrefix: prefix });
  await redis.connect();
});
afterAll(async () => {
  for (const s of stores) await s.close();
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys.map((k) => k.slice(prefix.length)));
  redis.disconnect();
  await rm(dir, { recursive: true, force: true, maxRetries: 5 });
});

function stateConfig(driver: StateConfig['driver'], name: string): StateConfig {
  return { driver, path: join(dir, `${name}.json`), debounceMs: 10, url: REDIS_URL, keyPrefix: `${prefix}${name}:`, connectTimeoutMs: 1000, syncIntervalMs: 500, commandTimeoutMs: 2000 };
}

describe.each(['memory', 'file', 'redis'] as const)('%s driver: keyValue()', (driver) => {
  it('keeps, reads and deletes documents by key, and keeps at most maxEntries, the newest', async () => {
    const store = await openStateStore(stateConfig(driver, `${driver}-a`), log);
    stores.push(store);
    const kv = await store.keyValue('responses', { ttlMs: 60_000, maxEntries: 2 });
    await kv.set('resp_1', '{"n":1}');
    expect(await kv.get('resp_1')).toBe('{"n":1}');
    expect(await kv.get('resp_missing')).toBeUndefined();
    await kv.set('resp_2', '{"n":2}');
    await kv.set('resp_3', '{"n":3}');
    expect(await kv.get('resp_1')).toBeUndefined(); // the oldest went
    expect(await kv.get('resp_3')).toBe('{"n":3}');
    expect(await kv.delete('resp_2')).toBe(true);
    expect(await kv.delete('resp_2')).toBe(false);
    expect(await kv.get('resp_2')).toBeUndefined();
  });

  it('refuses keys that are not ids (no path or key injection)', async () => {
    const store = await openStateStore(stateConfig(driver, `${driver}-b`), log);
    stores.push(store);
    const kv = await store.keyValue('responses', { ttlMs: 60_000, maxEntries: 10 });
    await expect(kv.set('../escape', 'x')).rejects.toThrow(/invalid key/);
  });
});

describe('expiry', () => {
  it('memory: a document is gone once its TTL has passed', async () => {
    let now = 1000;
    const kv = new MemoryKeyValue({ ttlMs: 50, maxEntries: 10 }, () => now);
    await kv.set('resp_a', 'x');
    now += 49;
    expect(await kv.get('resp_a')).toBe('x');
    now += 1;
    expect(await kv.get('resp_a')).toBeUndefined();
  });

  it('file: documents survive a reopen, are private, and expire by their age', async () => {
    const folder = join(dir, 'state.responses');
    let now = Date.now();
    const kv = await openFileKeyValue(folder, { ttlMs: 3_600_000, maxEntries: 10 }, log, () => now);
    await kv.set('resp_a', '{"a":1}');
    expect((await stat(folder)).mode & 0o777).toBe(0o700);
    expect((await stat(join(folder, LOG_NAME))).mode & 0o777).toBe(0o600);
    await writeFile(join(folder, `${LOG_NAME}.123.tmp`), 'half'); // a compaction a crash cut short
    await kv.close();
    const again = await openFileKeyValue(folder, { ttlMs: 3_600_000, maxEntries: 10 }, log, () => now);
    expect(await again.get('resp_a')).toBe('{"a":1}');
    expect(await readdir(folder)).toEqual([LOG_NAME]);
    now += 3_600_000 + 1; // expiry counts from the save
    expect(await again.get('resp_a')).toBeUndefined();
    await again.close();
    const later = await openFileKeyValue(folder, { ttlMs: 3_600_000, maxEntries: 10 }, log, () => now);
    expect(await later.get('resp_a')).toBeUndefined();
    await later.close();
  });

  it('redis: each document carries its TTL, so Redis itself forgets it', async () => {
    const kv = new RedisKeyValue(redis, 'ttl', { ttlMs: 90_000, maxEntries: 10 });
    await kv.set('resp_t', 'x');
    const ttl = await redis.pttl('ttl:resp_t');
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(90_000);
  });
});
