/**
 * What a retry may do: which credential it takes (one this request has not tried, while there is
 * one) and whether it happens at all once the client has left. A real Switchboard over loopback,
 * the official openai client, a fake upstream answering per key.
 */
import OpenAI from 'openai';
import { describe, expect, it, vi } from 'vitest';
import { bearerOf, type RecordedRequest } from './fakes/openai-upstream.js';
import { useFakeOpenAI, useSwitchboards } from './helpers/lifecycle.js';
import type { RunningSwitchboard } from './helpers/switchboard.js';

const key = (name: string) => `sk-retry-${name}-0123456789abcdef`;
const OK1 = key('ok1');
const OK2 = key('ok2');
const R429 = key('r429');
const E500 = key('e500');
const HEALTHY = new Set([OK1, OK2]);

let sb: RunningSwitchboard | undefined;
const fake = useFakeOpenAI({ models: ['gpt-4o-mini'] });
const boards = useSwitchboards();

/** The fake answers by key: r429 is rate limited (no Retry-After: an hour's rest), e500 fails. */
function keyedUpstream(): void {
  boards.defer(fake.up.whenKey([R429], { kind: 'status', status: 429, body: { error: { message: 'Rate limit reached for requests', type: 'requests', param: null, code: 'rate_limit_exceeded' } } }));
  boards.defer(fake.up.whenKey([E500], { kind: 'status', status: 500 }));
}

async function start(provider: Record<string, unknown>) {
  sb = await boards.start({
    providers: [{ id: 'up', plugin: 'openai-compatible', baseUrl: fake.up.url, models: ['gpt-4o-mini'], timeouts: { firstByteMs: 5000, idleMs: 5000, totalMs: 20000 }, ...provider }],
    models: { m: 'up/gpt-4o-mini' },
  });
  return new OpenAI({ baseURL: sb.baseURL, apiKey: 'none', maxRetries: 0 });
}

const pool = () => sb!.app.switchboard.providers.get('up')!.pool;
const textOf = (r: RecordedRequest) => String((r.body?.messages as { content: string }[] | undefined)?.[0]?.content);
const chatPosts = () => fake.up.requests.filter((r) => r.method === 'POST');

/** The keys each request (told apart by its message) was tried on, in order. */
function keysByRequest(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of chatPosts()) {
    const list = out.get(textOf(r)) ?? [];
    list.push(bearerOf(r));
    out.set(textOf(r), list);
  }
  return out;
}

/** No request was sent twice to one key while a healthy key it had not tried was left. */
function expectFreshKeys(tries: Map<string, string[]>): void {
  for (const [req, keys] of tries) {
    const seen = new Set<string>();
    for (const k of keys) {
      const untriedHealthy = [...HEALTHY].some((h) => !seen.has(h));
      if (seen.has(k) && untriedHealthy) expect.fail(`${req} retried ${k} while a healthy key was untried: ${keys.join(', ')}`);
      seen.add(k);
    }
  }
}

describe('a retry takes a credential this request has not tried', () => {
  it('regression: a transient retry prefers an untried credential, from every round-robin start', async () => {
    // No sitting out after a 500, and the cursor put back on e500 whenever it serves: the pool's
    // own turn would hand the retry e500 again; only the request's memory of it can prevent that.
    boards.defer(
      fake.up.rule((r) => {
        if (bearerOf(r) === E500) pool().rotateTo(3);
        return undefined;
      }),
    );
    keyedUpstream();
    const client = await start({ credentials: [OK1, OK2, R429, E500], retry: { attempts: 3, initialDelayMs: 1, maxDelayMs: 2 }, cooldowns: { transientSkipRequests: 0 } });
    for (let start = 0; start < 4; start++) {
      pool().rotateTo(start);
      const r = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: `start-${start}` }] });
      expect(r.choices[0].message.content).toContain(`start-${start}`);
    }
    const tries = keysByRequest();
    expectFreshKeys(tries);
    expect(tries.get('start-3')![0]).toBe(E500); // the case that mattered: e500 first, then elsewhere
    expect(new Set(tries.get('start-3')).size).toBe(tries.get('start-3')!.length);
    for (const keys of tries.values()) expect(HEALTHY.has(keys.at(-1)!)).toBe(true);
  });

  it('regression: no 502 while healthy keys exist, at concurrency 8 with the default sitting out', async () => {
    keyedUpstream();
    const client = await start({ credentials: [OK1, OK2, R429, E500], retry: { attempts: 3, initialDelayMs: 100, maxDelayMs: 200 } });
    const N = 1200;
    let next = 0;
    const failures: string[] = [];
    const worker = async () => {
      while (next < N) {
        const id = `req-${next++}`;
        await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: id }] }).catch((e: unknown) => failures.push(`${id}: ${String(e)}`));
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    expect(failures).toEqual([]);
    expectFreshKeys(keysByRequest());
  }, 120_000);

  it('reuses a tried credential when it is the only one left (one key, retry.attempts 3)', async () => {
    fake.up.script({ kind: 'status', status: 500 }, { kind: 'status', status: 500 });
    const client = await start({ credentials: [OK1], retry: { attempts: 3, initialDelayMs: 1, maxDelayMs: 2 } });
    const r = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'alone' }] });
    expect(r.choices[0].message.content).toContain('alone');
    expect(fake.up.keysSeen()).toEqual([OK1, OK1, OK1]);
  });
});

describe('no retry once the client has left', () => {
  it('regression: a client that leaves during the backoff gets no second attempt, and frees its slot at once', async () => {
    boards.defer(fake.up.rule((r) => (textOf(r) === 'doomed' ? { kind: 'status', status: 500 } : undefined)));
    // A long backoff (1.5-3 s) and a bulkhead of one: the slot is held while the retry waits.
    const client = await start({ credentials: [OK1, OK2], retry: { attempts: 3, initialDelayMs: 3000, maxDelayMs: 3000 }, bulkhead: { maxConcurrent: 1, queue: 0 } });
    const ctl = new AbortController();
    const doomed = client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'doomed' }] }, { signal: ctl.signal }).catch((e: unknown) => e);
    await vi.waitFor(() => expect(sb!.logs.some((l) => l.msg === 'upstream attempt failed')).toBe(true), { timeout: 5000 });
    ctl.abort();
    expect(await doomed).toBeInstanceOf(OpenAI.APIUserAbortError);
    await vi.waitFor(
      () =>
        new Promise<void>((resolve, reject) => sb!.app.server.getConnections((err, n) => (err ? reject(err) : n === 0 ? resolve() : reject(new Error(`${n} connections open`))))),
      { timeout: 5000 },
    );
    // The wait ended with the client: the bulkhead's one slot is free for the next caller now,
    // not when the backoff would have run out.
    const next = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'next' }] });
    expect(next.choices[0].message.content).toContain('next');
    // Past the longest backoff: still the one attempt (no lease was taken for the retry).
    await new Promise((r) => setTimeout(r, 3500));
    expect(chatPosts().filter((r) => textOf(r) === 'doomed')).toHaveLength(1);
    const views = pool().snapshot();
    expect(views.map((v) => v.inFlight)).toEqual([0, 0]);
    expect(views.reduce((n, v) => n + v.requests, 0)).toBe(2); // 'doomed' once, 'next' once
    expect(pool().waiting).toBe(0);
  });
});
