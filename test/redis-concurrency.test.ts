/**
 * `throttle.maxConcurrent` shared through Redis (docs/scaling.md): two Switchboard instances on
 * one Redis (REDIS_URL, default redis://127.0.0.1:6379; no Redis is a failure, not a skip) and one
 * slow fake upstream. With a cap of 1 on the only key, the upstream never has two of that key's
 * requests in flight at once, whichever instance they came through.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerOf, startFakeOpenAI, type FakeOpenAI } from './fakes/openai-upstream.js';
import { startSwitchboard, type RunningSwitchboard } from './helpers/switchboard.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const KEY = 'sk-redis-cap-key-0000aaaa';
const prefix = `swb-test-cap-${randomUUID()}:`;

let upstream: FakeOpenAI;
let redis: Redis;
const running: RunningSwitchboard[] = [];

beforeAll(async () => {
  upstream = await startFakeOpenAI({ models: ['gpt-4o-mini'] });
  redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
});
afterAll(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  await upstream.close();
});

async function instance(): Promise<RunningSwitchboard> {
  const sb = await startSwitchboard({
    state: { driver: 'redis', url: REDIS_URL, keyPrefix: prefix, syncIntervalMs: 100, commandTimeoutMs: 1000, connectTimeoutMs: 2000 },
    providers: [
      {
        id: 'up',
        plugin: 'openai-compatible',
        baseUrl: upstream.url,
        credentials: [KEY],
        retry: { attempts: 1 },
        timeouts: { firstByteMs: 30_000, idleMs: 30_000, totalMs: 60_000 },
        throttle: { maxConcurrent: 1 },
      },
    ],
    models: { m: 'up/gpt-4o-mini' },
  });
  running.push(sb);
  return sb;
}

/** A streaming request, read to its end. */
async function stream(sb: RunningSwitchboard, i: number): Promise<string> {
  const res = await fetch(`${sb.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: `slow ${i}` }] }),
  });
  expect(res.status).toBe(200);
  return res.text();
}

describe('throttle.maxConcurrent through redis', () => {
  it('two instances with maxConcurrent 1 on one key: the upstream never sees two of its requests in flight at once', async () => {
    const [a, b] = [await instance(), await instance()];
    // Every request streams for a while (~12 events, 40 ms apart) and so holds its slot.
    const slow = upstream.rule(() => ({ kind: 'drip', delayMs: 40 }));
    const texts = await Promise.all([stream(a, 0), stream(b, 1), stream(a, 2), stream(b, 3)]);
    slow();
    for (const t of texts) expect(t).toContain('data: [DONE]');
    const seen = upstream.requests.filter((r) => r.method === 'POST').sort((x, y) => x.at - y.at);
    expect(seen.map(bearerOf)).toEqual([KEY, KEY, KEY, KEY]);
    // Each request reached the upstream only after the one before it had ended there.
    for (let i = 1; i < seen.length; i++) {
      expect(seen[i - 1].closedAt, `request ${i - 1} ended`).toBeDefined();
      expect(seen[i].at, `request ${i} started after request ${i - 1} ended`).toBeGreaterThanOrEqual(seen[i - 1].closedAt!);
    }
  });
});
