/**
 * Stored responses with `state.driver: redis` while Redis is down: reading one (a create with
 * `previous_response_id`, retrieve, delete, input_items) is a 503 in the OpenAI envelope naming
 * the state store, not a 500 and not a 404, and nothing goes upstream; saving one does not fail
 * the answer. The test owns its Redis, so stopping it disturbs no other test.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import OpenAI from 'openai';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from './helpers/free-port.js';
import { startRedis, stopRedis } from './helpers/redis-server.js';
import { useFakeOpenAI, useSwitchboards } from './helpers/lifecycle.js';
import { upstreamConfig } from './helpers/switchboard.js';

const fake = useFakeOpenAI();
const sbs = useSwitchboards();
let server: ChildProcess | undefined;
afterEach(async () => {
  if (server) await stopRedis(server);
  server = undefined;
});

describe('stored responses while Redis is down', () => {
  it('regression: previous_response_id, retrieve and delete answer 503 state_unavailable, not 500; a save does not fail the answer', async () => {
    const port = await freePort();
    server = await startRedis(port);
    const prefix = `swb-outage-${randomUUID().slice(0, 8)}:`;
    const url = `redis://127.0.0.1:${port}`;
    const sb = await sbs.start(upstreamConfig(fake.up.url, { state: { driver: 'redis', url, keyPrefix: prefix, commandTimeoutMs: 1000, connectTimeoutMs: 1000 } }));
    const client = new OpenAI({ baseURL: sb.baseURL, apiKey: 'sk-test-client', maxRetries: 0 });
    const first = await client.responses.create({ model: 'gpt-4o-mini', input: 'Remember 42.' });
    await untilStored(url, `${prefix}responses:${first.id}`); // from now on it is read from Redis, not from memory

    await stopRedis(server);
    const upstreamCalls = fake.up.requests.length;
    const post = (body: object) =>
      fetch(`${sb.baseURL}/responses`, { method: 'POST', headers: { authorization: 'Bearer sk-test-client', 'content-type': 'application/json' }, body: JSON.stringify(body) });

    const cont = await post({ model: 'gpt-4o-mini', input: 'What number?', previous_response_id: first.id });
    expect(cont.status).toBe(503);
    expect(await cont.json()).toEqual({
      error: { type: 'service_unavailable', code: 'state_unavailable', param: 'previous_response_id', message: expect.stringMatching(/state store \(redis\) is unavailable/) },
    });
    for (const method of ['GET', 'DELETE']) {
      const res = await fetch(`${sb.baseURL}/responses/${first.id}`, { method, headers: { authorization: 'Bearer sk-test-client' } });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('state_unavailable');
    }
    await expect(client.responses.inputItems.list(first.id)).rejects.toMatchObject({ status: 503, code: 'state_unavailable' });
    expect(fake.up.requests.length).toBe(upstreamCalls); // nothing went upstream: no credential was charged

    // A new response is answered in full; only its save fails, with a warning.
    const fresh = await post({ model: 'gpt-4o-mini', input: 'Hello again.' });
    expect(fresh.status).toBe(200);
    expect(((await fresh.json()) as { status: string }).status).toBe('completed');
    await until(() => sb.logs.some((l) => l.msg === 'cannot store a response; previous_response_id will not find it'));
    expect(sb.logText()).not.toContain('sk-upstream-secret');
  }, 30_000);
});

async function untilStored(url: string, key: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
  await redis.connect();
  try {
    await until(async () => (await redis.exists(key)) === 1);
  } finally {
    redis.disconnect();
  }
}

async function until(check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}


