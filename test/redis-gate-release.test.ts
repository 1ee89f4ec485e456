/**
 * How the redis gate frees an ended lease (core/state/redis-gate.ts): it rides on the next
 * reserve, so a gated request costs one round trip to Redis rather than two, and when no reserve
 * comes it is freed alone within milliseconds, so other instances get the slot back. Real Redis
 * (REDIS_URL, default redis://127.0.0.1:6379); MONITOR shows what was sent.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineGate, RedisGate } from '../core/state/redis-gate.js';
import type { ReserveRequest } from '../core/state/gate.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `swb-test-release-${randomUUID()}:`;
let client: Redis;
let plain: Redis;
let gate: RedisGate;
const lost: string[] = [];

const req = (credential: string, maxConcurrent = 1): ReserveRequest => ({ provider: 'up', credential, model: 'm', perModel: false, minIntervalMs: 0, maxConcurrent, windows: [] });

beforeAll(async () => {
  client = new Redis(REDIS_URL, { keyPrefix: prefix, lazyConnect: true, maxRetriesPerRequest: 1 });
  defineGate(client);
  await client.connect();
  plain = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await plain.connect();
  gate = new RedisGate(client, { degraded: false, lost: (why) => lost.push(why), publish: () => {} });
});
afterAll(async () => {
  const keys = await plain.keys(`${prefix}*`);
  if (keys.length) await plain.del(...keys);
  client.disconnect();
  plain.disconnect();
});

/** The commands clients sent Redis for this test's keys while `run` ran (not those its scripts ran). */
async function monitored(run: () => Promise<void>): Promise<string[]> {
  const monitor = await plain.monitor();
  const seen: string[] = [];
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (source !== 'lua' && args.some((a) => a.startsWith(prefix))) seen.push(args[0].toLowerCase());
  });
  await run();
  await plain.ping(); // MONITOR lines for what came before this have arrived once it answers
  monitor.disconnect();
  return seen;
}

describe('redis gate: ended leases', () => {
  it('an ended lease rides on the next reserve: one command per gated request, and the slot is free', async () => {
    const first = await gate.reserve(req('a'));
    expect(first).toMatchObject({ ok: true });
    const seen = await monitored(async () => {
      gate.release('up', 'a', (first as { token: string }).token);
      // Cap 1: this is admitted only if the release went first, inside the same script.
      const second = await gate.reserve(req('a'));
      expect(second).toMatchObject({ ok: true });
      gate.release('up', 'a', (second as { token: string }).token);
      const third = await gate.reserve(req('b'));
      expect(third).toMatchObject({ ok: true });
    });
    expect(seen).toEqual(['evalsha', 'evalsha']);
    expect(await plain.zcard(`${prefix}f:up:a`)).toBe(0);
    expect(lost).toEqual([]);
  });

  it('with no reserve to carry it, an ended lease is freed alone within milliseconds, for other instances', async () => {
    const held = await gate.reserve(req('c'));
    expect(held).toMatchObject({ ok: true });
    expect(await plain.zcard(`${prefix}f:up:c`)).toBe(1);
    gate.release('up', 'c', (held as { token: string }).token);
    const deadline = Date.now() + 1_000;
    while ((await plain.zcard(`${prefix}f:up:c`)) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(await plain.zcard(`${prefix}f:up:c`)).toBe(0);
    // Another instance's gate on the same Redis now gets the only slot.
    const other = new RedisGate(client, { degraded: false, lost: (why) => lost.push(why), publish: () => {} });
    expect(await other.reserve(req('c'))).toMatchObject({ ok: true });
  });

  it('a refused reserve still frees the leases it carried', async () => {
    const mine = await gate.reserve(req('d'));
    const blocker = new RedisGate(client, { degraded: false, lost: (why) => lost.push(why), publish: () => {} });
    expect(await blocker.reserve(req('e'))).toMatchObject({ ok: true });
    gate.release('up', 'd', (mine as { token: string }).token);
    expect(await gate.reserve(req('e'))).toMatchObject({ ok: false, why: 'busy' });
    expect(await plain.zcard(`${prefix}f:up:d`)).toBe(0);
  });

  it('reserves asked in one turn go as one command, and each gets its own verdict, in order', async () => {
    const windowed: ReserveRequest = { ...req('g', 0), windows: [{ requests: 1, windowMs: 60_000 }] };
    let verdicts: Awaited<ReturnType<RedisGate['reserve']>>[] = [];
    const seen = await monitored(async () => {
      // Cap 2 on f: the third is refused; one request a minute on g: the second is refused.
      verdicts = await Promise.all([gate.reserve(req('f', 2)), gate.reserve(windowed), gate.reserve(req('f', 2)), gate.reserve(req('f', 2)), gate.reserve(windowed)]);
    });
    expect(seen).toEqual(['evalsha']);
    expect(verdicts.map((v) => (v.ok ? 'ok' : v.why))).toEqual(['ok', 'ok', 'ok', 'busy', 'cooling']);
    expect(verdicts[4]).toMatchObject({ scope: 'credential', reason: 'request window full (1 per 1min)' });
    expect((verdicts[4] as { waitMs: number }).waitMs).toBeGreaterThan(50_000);
    // Each admitted lease has a token of its own, and both are in the set.
    const tokens = [verdicts[0], verdicts[2]].map((v) => (v as { token: string }).token);
    expect(new Set(tokens).size).toBe(2);
    expect((await plain.zrange(`${prefix}f:up:f`, 0, -1)).sort()).toEqual([...tokens].sort());
    expect((verdicts[1] as { token?: string }).token).toBeUndefined(); // no cap: no lease to hold
    expect(lost).toEqual([]);
  });

  it('a batch the gate could not send admits every request in it and reports Redis lost once', async () => {
    const down = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    defineGate(down);
    const why: string[] = [];
    const alone = new RedisGate(down, { degraded: false, lost: (w) => why.push(w), publish: () => {} });
    const verdicts = await Promise.all([alone.reserve(req('h')), alone.reserve(req('h')), alone.reserve(req('h'))]);
    expect(verdicts).toEqual([0, 1, 2].map(() => ({ ok: true, token: undefined })));
    expect(why).toHaveLength(1);
    down.disconnect();
  });
});

