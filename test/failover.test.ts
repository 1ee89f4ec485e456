/**
 * Ordered fallback targets: a failure before the first byte moves to the next target without the
 * client noticing; the client's own mistakes and failures after the first byte do not.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defaultReply, type FakeOpenAI } from './fakes/openai-upstream.js';
import { ONE_ATTEMPT, startSwitchboard, type RunningSwitchboard } from './helpers/switchboard.js';
import { useFakeOpenAI, useSwitchboards } from './helpers/lifecycle.js';

// Clean fakes and a Switchboard of its own for every test: no breaker state, skip count or
// scripted behaviour left by one test can steer the next.
const fakeA = useFakeOpenAI();
const fakeB = useFakeOpenAI();
const switchboards = useSwitchboards();
let a: FakeOpenAI;
let b: FakeOpenAI;
let sb: RunningSwitchboard;
let client: OpenAI;

beforeEach(() => {
  [a, b] = [fakeA.up, fakeB.up];
});

/**
 * `firstByteMs` of target a: generous, so a loaded machine cannot fail a healthy first target
 * over; short where a hang is the subject. Target b always has the generous one.
 */
async function startSmart(firstByteMs = 2000, start = switchboards.start): Promise<void> {
  const generous = { firstByteMs: 2000, idleMs: 2000, totalMs: 10_000 };
  const timeouts = { ...generous, firstByteMs, idleMs: firstByteMs };
  sb = await start({
    providers: [
      // static model lists: no discovery requests to muddle the counts; one attempt per target,
      // so a failure shows as failover (retries on one target are tested in resilience tests)
      { id: 'a', plugin: 'openai-compatible', baseUrl: fakeA.up.url, timeouts, models: ['gpt-4o-mini'], ...ONE_ATTEMPT },
      { id: 'b', plugin: 'openai-compatible', baseUrl: fakeB.up.url, timeouts: generous, models: ['gpt-4o'], ...ONE_ATTEMPT },
    ],
    models: { smart: { targets: ['a/gpt-4o-mini', { provider: 'b', model: 'gpt-4o' }], description: 'a, else b' } },
  });
  client = new OpenAI({ baseURL: sb.baseURL, apiKey: 'none', maxRetries: 0 });
}

const messages = [{ role: 'user' as const, content: 'fail over, please' }];
const expected = defaultReply({ messages });

async function streamText(): Promise<string> {
  const s = await client.chat.completions.create({ model: 'smart', messages, stream: true });
  let text = '';
  for await (const c of s) text += c.choices[0]?.delta.content ?? '';
  return text;
}

describe('failover', () => {
  beforeEach(() => startSmart());

  it('uses the first target when it answers', async () => {
    await client.chat.completions.create({ model: 'smart', messages });
    expect(a.requests).toHaveLength(1);
    expect(b.requests).toHaveLength(0);
  });

  it.each([
    ['a 500', { kind: 'status', status: 500 } as const],
    ['a reset', { kind: 'reset' } as const],
    ['a 429', { kind: 'status', status: 429, headers: { 'retry-after': '0' } } as const],
    ['garbage', { kind: 'raw', contentType: 'text/html', pieces: ['<html>'] } as const],
  ])('non-stream: %s moves to the next target', async (_name, behaviour) => {
    a.script(behaviour);
    const r = await client.chat.completions.create({ model: 'smart', messages });
    expect(r.choices[0].message.content).toBe(expected);
    expect(b.requests.at(-1)!.body?.model).toBe('gpt-4o');
  });

  it('stream: a 503 before the first byte is invisible to a streaming client', async () => {
    a.script({ kind: 'status', status: 503 });
    expect(await streamText()).toBe(expected);
    expect(a.requests).toHaveLength(1);
    expect(b.requests).toHaveLength(1);
  });

  it('stream: a hang hits the first-byte timeout, then the next target serves', async () => {
    await sb.close();
    await startSmart(200);
    a.script({ kind: 'hang' });
    const started = Date.now();
    expect(await streamText()).toBe(expected);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it("a 400 is the client's mistake: returned as is, never tried elsewhere", async () => {
    a.script({ kind: 'status', status: 400, body: { error: { message: 'bad messages', type: 'invalid_request_error', param: 'messages', code: null } } });
    const err = await client.chat.completions.create({ model: 'smart', messages }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(b.requests).toHaveLength(0);
  });

  it('after the first byte the stream is committed: a failure ends it, no failover', async () => {
    a.script({ kind: 'cut-after', chunks: 3 });
    const err = await streamText().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(b.requests).toHaveLength(0);
  });

  it('when every target fails, the last failure is reported', async () => {
    a.script({ kind: 'status', status: 500 });
    b.script({ kind: 'status', status: 502 });
    const err = await client.chat.completions.create({ model: 'smart', messages }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect((err as InstanceType<typeof OpenAI.APIError>).message).toContain('"b"');
  });
});

// Read-only: one Switchboard for both.
describe('the alias in /v1/models', () => {
  beforeAll(() => startSmart(2000, startSwitchboard));
  afterAll(() => sb.close());

  it('lists the alias in /v1/models', async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids[0]).toBe('smart');
  });

  it("regression: /v1/models shows an alias's configured description (it showed none)", async () => {
    const res = await fetch(`${sb.baseURL}/models`);
    const list = (await res.json()) as { data: { id: string; description?: unknown }[] };
    expect(list.data.find((m) => m.id === 'smart')?.description).toBe('a, else b');
    const one = (await (await fetch(`${sb.baseURL}/models/smart`)).json()) as { description?: unknown };
    expect(one.description).toBe('a, else b');
  });
});

describe('the total timeout spans every attempt', () => {
  it('stops failing over when the total time is up', async () => {
    const sb2 = await switchboards.start({
      providers: [
        { id: 'a', plugin: 'openai-compatible', baseUrl: a.url, timeouts: { firstByteMs: 300, idleMs: 300, totalMs: 600 }, models: ['gpt-4o-mini'], ...ONE_ATTEMPT },
        { id: 'b', plugin: 'openai-compatible', baseUrl: b.url, timeouts: { firstByteMs: 300, idleMs: 300, totalMs: 600 }, models: ['gpt-4o'], ...ONE_ATTEMPT },
      ],
      models: { slow: ['a/gpt-4o-mini', 'b/gpt-4o'] },
    });
    try {
      a.script({ kind: 'hang' });
      b.script({ kind: 'hang' });
      const c = new OpenAI({ baseURL: sb2.baseURL, apiKey: 'none', maxRetries: 0 });
      const started = Date.now();
      const err = await c.chat.completions.create({ model: 'slow', messages }).catch((e: unknown) => e);
      const elapsed = Date.now() - started;
      expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(504);
      expect(elapsed).toBeGreaterThanOrEqual(580);
      // b was cut by what was left of the total, not given a first-byte wait of its own (300 + 300)
      expect((err as Error).message).toContain('provider "a": upstream first-byte timeout; provider "b": upstream total timeout');
      expect(b.requests).toHaveLength(1); // b was tried, with what time was left
    } finally {
      await sb2.close();
    }
  });

  it('skips targets on a disabled provider', async () => {
    const sb3 = await switchboards.start({
      providers: [
        { id: 'a', plugin: 'openai-compatible', baseUrl: a.url, enabled: false },
        { id: 'm', plugin: 'mock' },
      ],
      models: { either: ['a/gpt-4o-mini', 'm/echo'] },
    });
    try {
      const c = new OpenAI({ baseURL: sb3.baseURL, apiKey: 'none', maxRetries: 0 });
      const r = await c.chat.completions.create({ model: 'either', messages });
      expect(r.choices[0].message.content).toBe('fail over, please');
      expect(a.requests).toHaveLength(0);
      const ids = (await c.models.list()).data.map((m) => m.id);
      expect(ids).not.toContain('a/gpt-4o-mini');
    } finally {
      await sb3.close();
    }
  });
});
