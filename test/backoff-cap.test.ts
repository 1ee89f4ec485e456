/**
 * `retry.maxDelayMs` caps the backoff between retries (docs/resilience.md#retry). With an initial
 * delay far above the cap, exponential backoff alone would wait a second or more; the cap must
 * bring every wait down to it. The waits are read where they happen: the gaps between the
 * attempts' arrivals at the upstream.
 */
import OpenAI from 'openai';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from './fakes/openai-upstream.js';
import { startSwitchboard, type RunningSwitchboard } from './helpers/switchboard.js';

const INITIAL_MS = 2000;
const CAP_MS = 50;
/** 10 x the cap: a loaded machine stays under it, while uncapped half-jitter waits at least INITIAL_MS / 2. */
const BOUND_MS = 10 * CAP_MS;

let upstream: FakeOpenAI;
let sb: RunningSwitchboard;

beforeEach(async () => {
  upstream = await startFakeOpenAI();
  upstream.rule(() => ({ kind: 'status', status: 500 })); // every attempt fails, transiently
  sb = await startSwitchboard({
    auth: { apiKeys: ['sk-test-client'] },
    providers: [
      {
        id: 'up',
        plugin: 'openai-compatible',
        baseUrl: upstream.url,
        apiKey: 'sk-upstream-secret-0123456789',
        timeouts: { firstByteMs: 5000, idleMs: 5000, totalMs: 20_000 },
        retry: { attempts: 3, initialDelayMs: INITIAL_MS, maxDelayMs: CAP_MS },
        breaker: { consecutiveFailures: 1000 },
        cooldowns: { transientSkipRequests: 0 },
      },
    ],
    models: { 'gpt-4o-mini': 'up/gpt-4o-mini' },
  });
});
afterEach(async () => {
  await sb?.close();
  await upstream?.close();
});

it('retry.maxDelayMs caps every backoff wait, however large initialDelayMs is', async () => {
  expect(BOUND_MS).toBeLessThan(INITIAL_MS / 2); // the bound tells capped from uncapped apart
  const client = new OpenAI({ baseURL: sb.baseURL, apiKey: 'sk-test-client', maxRetries: 0 });
  const err = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(OpenAI.APIError);
  expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(502);

  const arrivals = upstream.requests.filter((r) => r.path === '/v1/chat/completions').map((r) => r.at);
  expect(arrivals).toHaveLength(3); // the first try and two retries
  const gaps = arrivals.slice(1).map((at, i) => at - arrivals[i]);
  for (const gap of gaps) {
    expect(gap).toBeLessThan(BOUND_MS);
    // capped, not skipped: half jitter waits at least half the cap (less a ms of clock rounding)
    expect(gap).toBeGreaterThanOrEqual(CAP_MS / 2 - 2);
  }
});
