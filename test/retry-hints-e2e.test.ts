/**
 * How long a 429 says to wait, end to end: the fake upstream answers 429 with one of the headers
 * upstreams use, and the credential's cooldown (GET /v1/tokens/stats) and the Retry-After the
 * client gets once every key is cooling must both reflect that wait, not the default
 * (`cooldowns.rateLimitedMs`, an hour). Switchboard runs on a ManualClock so the waits are exact.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../core/state/clock.js';
import { startFakeOpenAI, type FakeOpenAI } from './fakes/openai-upstream.js';
import { startSwitchboard, type RunningSwitchboard } from './helpers/switchboard.js';

const ADMIN = 'admin-secret-0123456789abcdef';
const KEY = 'sk-retry-hints-key-0123456789abcdef';

let upstream: FakeOpenAI;
let sb: RunningSwitchboard;
let clock: ManualClock;

beforeEach(async () => {
  upstream = await startFakeOpenAI();
  // A whole second: an HTTP date has no finer resolution.
  clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
  sb = await startSwitchboard(
    {
      auth: { apiKeys: ['sk-test-client'], adminKey: ADMIN },
      plugins: { 'token-admin': {} },
      providers: [
        {
          id: 'up',
          plugin: 'openai-compatible',
          baseUrl: upstream.url,
          credentials: [KEY],
          timeouts: { firstByteMs: 5000, idleMs: 5000, totalMs: 10_000 },
          retry: { attempts: 1 },
        },
      ],
      models: { 'gpt-4o-mini': 'up/gpt-4o-mini' },
    },
    { clock },
  );
});
afterEach(async () => {
  await sb?.close();
  await upstream?.close();
});

async function chat(): Promise<{ status: number; retryAfter: string | null; code: string | undefined }> {
  const res = await fetch(`${sb.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { authorization: 'Bearer sk-test-client', 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
  });
  const body = (await res.json()) as { error?: { code: string } };
  return { status: res.status, retryAfter: res.headers.get('retry-after'), code: body.error?.code };
}

/** The credential's cooldown on the model, as the stats show it. */
async function cooldownUntil(): Promise<string | null> {
  const stats = (await (await fetch(`${sb.origin}/v1/tokens/stats?provider=up`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as {
    tokens: { models: Record<string, { cooldownUntil: string | null }> }[];
  };
  return stats.tokens[0].models['gpt-4o-mini'].cooldownUntil;
}

/** The upstream's 429 carries `headers`; the key must then cool down for `waitMs`. */
async function expectCooldown(headers: Record<string, string>, waitMs: number): Promise<void> {
  upstream.script({ kind: 'status', status: 429, headers, body: { error: { message: 'Rate limit reached for requests', type: 'requests', param: null, code: 'rate_limit_exceeded' } } });
  const retryAfter = String(Math.ceil(waitMs / 1000));
  const first = await chat();
  expect(first).toMatchObject({ status: 429, retryAfter });
  expect(await cooldownUntil()).toBe(new Date(clock.now() + waitMs).toISOString());
  // the only key is cooling: the next request is not sent, and is told how long to wait
  const second = await chat();
  expect(second).toMatchObject({ status: 429, code: 'rate_limit_exceeded', retryAfter });
  expect(upstream.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(1);
  // and the key serves again when the wait is over, not later
  clock.advance(waitMs);
  expect((await chat()).status).toBe(200);
}

describe('the wait a 429 states sets the credential cooldown', () => {
  it('retry-after-ms, and it wins over Retry-After', async () => {
    await expectCooldown({ 'retry-after-ms': '45000', 'retry-after': '120' }, 45_000);
  });

  it('Retry-After as an HTTP date', async () => {
    await expectCooldown({ 'retry-after': new Date(clock.now() + 300_000).toUTCString() }, 300_000);
  });

  it('x-ratelimit-reset-requests when the 429 gives nothing else', async () => {
    await expectCooldown({ 'x-ratelimit-reset-requests': '6m30s' }, 390_000);
  });
});
