/**
 * The github-models provider end to end: the official openai client -> Switchboard -> the fake
 * GitHub Models server of test/fakes/, with four tokens in the pool.
 */
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../core/state/clock.js';
import { DEFAULT_ADVERTISED, githubPromptTokens, githubReply, splitReply, startFakeGitHubModels, type FakeGitHubModels } from './fakes/github-models.js';
import { startSwitchboard, type RunningSwitchboard } from './helpers/switchboard.js';
import { maskSecret } from '../core/pool/credentials.js';

const TOKENS = ['ghp_tokenAAAAAAAAAAAAAAAAAAAAAAAAAAAAA1', 'ghp_tokenBBBBBBBBBBBBBBBBBBBBBBBBBBBBB2', 'ghp_tokenCCCCCCCCCCCCCCCCCCCCCCCCCCCCC3', 'ghp_tokenDDDDDDDDDDDDDDDDDDDDDDDDDDDDD4'];
const [A, B, C, D] = TOKENS;
const messages = [{ role: 'user' as const, content: 'hello github' }];
const expected = githubReply({ messages });

let gh: FakeGitHubModels;
let sb: RunningSwitchboard | undefined;

beforeAll(async () => {
  gh = await startFakeGitHubModels({ tokens: TOKENS });
});
afterAll(async () => {
  await gh.close();
});
beforeEach(() => {
  gh.requests.length = 0;
  gh.clear();
});
afterEach(async () => {
  await sb?.close();
  sb = undefined;
});

/** Switchboard with one github-models provider; no throttle unless a test asks for the default. */
async function start(extra: Record<string, unknown> = {}, opts: { clock?: ManualClock; models?: Record<string, unknown> } = {}) {
  sb = await startSwitchboard(
    {
      providers: [{ id: 'github', plugin: 'github-models', baseUrl: gh.inferenceUrl, credentials: TOKENS, throttle: { minIntervalMs: 0 }, ...extra }],
      models: opts.models ?? {},
    },
    { clock: opts.clock },
  );
  return new OpenAI({ baseURL: sb.baseURL, apiKey: 'none', maxRetries: 0 });
}

const chats = () => gh.requests.filter((r) => r.method === 'POST');
const view = (token: string) => sb!.app.switchboard.providers.get('github')!.pool.snapshot().find((c) => c.id === maskSecret(token))!;

async function rawChat(body: Record<string, unknown>) {
  const res = await fetch(`${sb!.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

describe('talking to GitHub Models', () => {
  it('answers a bare model id (gpt-4o-mini) by sending the catalog id upstream', async () => {
    const client = await start();
    const r = await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
    expect(r.choices[0].message.content).toBe(expected);
    expect(chats()[0].body?.model).toBe('openai/gpt-4o-mini');
    expect(chats()[0].path).toBe('/inference/chat/completions');
    expect(chats()[0].headers.authorization).toBe(`Bearer ${A}`);
  });

  it('answers publisher/model and github/publisher/model ids too', async () => {
    const client = await start();
    expect((await client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages })).choices[0].message.content).toBe(expected);
    expect((await client.chat.completions.create({ model: 'github/openai/gpt-4.1', messages })).choices[0].message.content).toBe(expected);
    expect(chats().map((r) => r.body?.model)).toEqual(['openai/gpt-4o-mini', 'openai/gpt-4.1']);
  });

  it('lists the catalog in /v1/models', async () => {
    const client = await start();
    const ids = (await client.models.list()).data.map((m) => m.id);
    expect(ids).toContain('github/openai/gpt-4o-mini');
    expect(ids).toContain('github/openai/text-embedding-3-small');
    // the catalog's capabilities and limits are kept
    const one = (await client.models.retrieve('github/openai/gpt-4o-mini')) as unknown as Record<string, any>;
    expect(one.capabilities).toContain('streaming');
    expect(one.limits).toEqual(gh.catalog.find((m) => m.id === 'openai/gpt-4o-mini')!.limits);
    expect(one).not.toHaveProperty('aliases');
  });

  it('passes a clean stream: no empty-choices prelude, no obfuscation, role first, text exact', async () => {
    const client = await start();
    const raw = await rawChat({ model: 'gpt-4o-mini', messages, stream: true });
    const events = raw.text.split('\n\n').filter(Boolean).map((e) => e.replace(/^data: /, ''));
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e) as { choices: { delta: { role?: string } }[] });
    expect(chunks.every((c) => c.choices.length === 1)).toBe(true);
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    expect(raw.text).not.toContain('obfuscation');
    expect(raw.text).not.toContain('prompt_filter_results');
    // and the SDK reassembles the same text
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage;
    for await (const c of stream) {
      text += c.choices[0]?.delta.content ?? '';
      usage = c.usage ?? usage;
    }
    expect(text).toBe(expected);
    // the fake's counts: prompt from the messages, one completion token per delta
    const prompt = githubPromptTokens(messages);
    const completion = splitReply(expected).length;
    expect(usage).toMatchObject({ prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion });
  });

  it('rewrites max_tokens to max_completion_tokens for reasoning models', async () => {
    const client = await start();
    const r = await client.chat.completions.create({ model: 'o3-mini', messages, max_tokens: 50 });
    expect(r.choices[0].message.content).toBe(expected);
    expect(chats()[0].body).toMatchObject({ model: 'openai/o3-mini', max_completion_tokens: 50 });
    expect(chats()[0].body).not.toHaveProperty('max_tokens');
  });

  it('serves embeddings, float and base64', async () => {
    const client = await start();
    const r = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['one', 'two'] });
    expect(r.data).toHaveLength(2);
    expect(chats()[0].body?.model).toBe('openai/text-embedding-3-small');
    const b = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'one', encoding_format: 'base64' });
    expect(Buffer.from(b.data[0].embedding as unknown as string, 'base64').length / 4).toBe(r.data[0].embedding.length);
  });

  it('uses the org path when `org` is set', async () => {
    const client = await start({ org: 'acme' });
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
    expect(chats()[0].path).toBe('/orgs/acme/inference/chat/completions');
  });

  it('records what the rate-limit headers say, per token and model', async () => {
    const client = await start({ credentials: [A] });
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
    const before = view(A).models['openai/gpt-4o-mini'].observed!.remainingRequests!;
    await client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages }); // same model, other name
    const observed = view(A).models['openai/gpt-4o-mini'].observed!;
    expect(observed.limitRequests).toBe(DEFAULT_ADVERTISED.requests);
    expect(observed.remainingRequests).toBe(before - 1);
    expect(observed.limitTokens).toBe(DEFAULT_ADVERTISED.tokens);
    expect(view(A).models['openai/gpt-4o-mini'].requests).toBe(2);
    expect(view(A).models).not.toHaveProperty('gpt-4o-mini');
  });
});

describe('limits and failures', () => {
  it('a daily limit on one of 4 tokens: rotated past and never retried until its reset', async () => {
    const clock = new ManualClock(Date.now());
    gh.limit(B, { type: 'day', waitSeconds: 5631 });
    const client = await start({}, { clock });
    for (let i = 0; i < 8; i++) expect((await client.chat.completions.create({ model: 'gpt-4o-mini', messages })).choices[0].message.content).toBe(expected);
    expect(gh.tokensSeen().filter((t) => t === B)).toHaveLength(1);
    // request 2 rotated from B to C; from then on B is skipped in turn
    expect(gh.tokensSeen()).toEqual([A, B, C, D, A, C, D, A, C]);
    const m = view(B).models['openai/gpt-4o-mini'];
    expect(m.cooldownUntil).toBe(clock.now() + 5631_000);
    expect(m.cooldownReason).toBe('quota exhausted (UserByModelByDay)');
    expect(m.observed?.last429Type).toBe('UserByModelByDay');
    // the token still serves other models
    gh.requests.length = 0;
    for (let i = 0; i < 4; i++) await client.chat.completions.create({ model: 'gpt-4.1', messages });
    expect(gh.tokensSeen()).toContain(B);
  });

  it('a minute limit rests the token for exactly the stated wait', async () => {
    const clock = new ManualClock(Date.now());
    gh.limit(A, { type: 'minute', waitSeconds: 29, count: 1 });
    // no waiting for the token to free: this test is about how long it rests
    const client = await start({ credentials: [A], pool: { waitForCooldownMs: 0 } }, { clock });
    const first = await rawChat({ model: 'gpt-4o-mini', messages });
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('29');
    clock.advance(28_000);
    expect((await rawChat({ model: 'gpt-4o-mini', messages })).status).toBe(429);
    expect(chats()).toHaveLength(1); // the upstream was not asked again
    clock.advance(1_000);
    expect((await client.chat.completions.create({ model: 'gpt-4o-mini', messages })).choices[0].message.content).toBe(expected);
  });

  it('when every token is cooling, a request waits up to 7 s for the first to free (the seed retried)', async () => {
    gh.limit(A, { type: 'minute', waitSeconds: 1, count: 1 });
    const client = await start({ credentials: [A] });
    const started = Date.now();
    expect((await client.chat.completions.create({ model: 'gpt-4o-mini', messages })).choices[0].message.content).toBe(expected);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(gh.tokensSeen()).toEqual([A, A]);
  });

  it('a plain-text 429 (with a JSON content type) still rotates, resting the token 60 s', async () => {
    const clock = new ManualClock(Date.now());
    gh.limit(A, { type: 'minute', body: 'text', count: 1, waitSeconds: 0 });
    const client = await start({}, { clock });
    expect((await client.chat.completions.create({ model: 'gpt-4o-mini', messages })).choices[0].message.content).toBe(expected);
    expect(gh.tokensSeen()).toEqual([A, B]);
  });

  it('too many concurrent requests rests the token one second', async () => {
    const clock = new ManualClock(Date.now());
    gh.limit(A, { type: 'concurrent', count: 1 });
    const client = await start({}, { clock });
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
    expect(view(A).models['openai/gpt-4o-mini'].cooldownUntil).toBe(clock.now() + 1000);
  });

  it('401 disables the token; 403 no_access denies it that model only', async () => {
    gh.fail(A, { status: 401 });
    gh.fail(B, { status: 403, model: 'openai/gpt-4.1' });
    const client = await start();
    await client.chat.completions.create({ model: 'gpt-4.1', messages }); // A 401, B 403, C serves
    expect(gh.tokensSeen()).toEqual([A, B, C]);
    expect(view(A).enabled).toBe(false);
    expect(view(B).models['openai/gpt-4.1'].denied).toBe(true);
    gh.requests.length = 0;
    for (let i = 0; i < 3; i++) await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
    expect(gh.tokensSeen()).toContain(B); // B still serves gpt-4o-mini
    expect(gh.tokensSeen()).not.toContain(A);
  });

  it('when no token may use a model, the client gets 403, not a retry storm', async () => {
    gh.fail('*', { status: 403, model: 'openai/gpt-4.1' });
    const client = await start();
    const err = (await client.chat.completions.create({ model: 'gpt-4.1', messages }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(err.code).toBe('model_access_denied');
    expect(chats()).toHaveLength(4);
    gh.requests.length = 0;
    const again = (await client.chat.completions.create({ model: 'gpt-4.1', messages }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(again.status).toBe(403);
    expect(chats()).toHaveLength(0);
  });

  it('an unknown model is the client\'s 404 model_not_found, with no rotation', async () => {
    const client = await start();
    const err = (await client.chat.completions.create({ model: 'github/acme/nonexistent', messages }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(err.code).toBe('model_not_found');
    expect(chats()).toHaveLength(1);
  });

  it('413 tokens_limit_reached and a content filter are passed to the client as they are', async () => {
    gh.fail('*', { status: 413, count: 1 });
    gh.fail('*', { status: 'content_filter', count: 1 });
    const client = await start();
    const big = (await client.chat.completions.create({ model: 'gpt-4o-mini', messages }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(big.status).toBe(413);
    expect(big.message).toContain('Max size');
    const filtered = (await client.chat.completions.create({ model: 'gpt-4o-mini', messages }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(filtered.status).toBe(400);
    expect(filtered.code).toBe('content_filter');
    expect(chats()).toHaveLength(2); // neither was retried
    expect(view(A).consecutiveFailures).toBe(0);
  });

  it('410 (retirement) opens the provider-wide breaker: no token is disabled, the next target serves', async () => {
    gh.fail('*', { status: 410 });
    sb = await startSwitchboard({
      providers: [
        { id: 'github', plugin: 'github-models', baseUrl: gh.inferenceUrl, credentials: TOKENS, throttle: { minIntervalMs: 0 } },
        { id: 'fallback', plugin: 'mock' },
      ],
      models: { smart: ['github/gpt-4o-mini', 'fallback/echo'] },
    });
    const c2 = new OpenAI({ baseURL: sb.baseURL, apiKey: 'none', maxRetries: 0 });
    expect((await c2.chat.completions.create({ model: 'smart', messages })).choices[0].message.content).toBe('hello github');
    expect(chats()).toHaveLength(1);
    expect(view(A).enabled).toBe(true);
    gh.requests.length = 0;
    await c2.chat.completions.create({ model: 'smart', messages });
    expect(chats()).toHaveLength(0);
    expect(sb.app.switchboard.providers.get('github')!.policies.openBreakers()['*']?.state).toBe('open');
  });

  it('defaults follow the seed: 2 s between requests on one token and model', async () => {
    const client = await start({ credentials: [A], throttle: undefined });
    // Grants timed where the pool decides them, not at the fake (a loaded machine delays arrivals).
    const pool = sb!.app.switchboard.providers.get('github')!.pool;
    const lease = pool.lease.bind(pool);
    const grants: { model: string; at: number }[] = [];
    pool.lease = (e, model) => {
      const l = lease(e, model);
      grants.push({ model, at: e.lastStartAt });
      return l;
    };
    const ask = (model: string) => client.chat.completions.create({ model, messages });
    await Promise.all([ask('gpt-4o-mini'), ask('gpt-4o-mini')]);
    const mini = grants.map((g) => g.at);
    expect(mini).toHaveLength(2);
    expect(mini[1] - mini[0]).toBeGreaterThanOrEqual(2000);
    // Another model is not held back by it: its lease is granted at once, not queued.
    const acquire = pool.acquire.bind(pool);
    let queued: boolean | undefined;
    pool.acquire = (...args) => {
      const got = acquire(...args);
      queued = got instanceof Promise;
      return got;
    };
    await ask('gpt-4.1');
    expect(queued).toBe(false);
    expect(chats()).toHaveLength(3);
  });
});

describe("the seed proxy's shell checks, against GitHub Models with 4 tokens", () => {
  it('models > 0, a chat answers text, total_tokens 4, rotate success, observed limits after a 429', async () => {
    const admin = 'admin-key-for-the-seed-checks-0001';
    sb = await startSwitchboard({
      auth: { adminKey: admin },
      providers: [{ id: 'github', plugin: 'github-models', baseUrl: gh.inferenceUrl, credentials: TOKENS, throttle: { minIntervalMs: 0 } }],
      plugins: { 'token-admin': {}, 'rate-limits': {} },
    });
    const get = async (path: string, init: RequestInit = {}) => (await fetch(`${sb!.origin}${path}`, { ...init, headers: { 'content-type': 'application/json', 'x-admin-key': admin, ...init.headers } })).json() as Promise<any>;
    const listed = (await get('/v1/models')).data.map((m: { id: string }) => m.id);
    expect(listed).toEqual(gh.catalog.map((m) => `github/${m.id}`)); // the fake's whole catalog, under the provider's id
    const chat = await get('/v1/chat/completions', { method: 'POST', body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], stream: false, max_tokens: 5 }) });
    expect(chat.choices[0].message.content).toBe(githubReply({ messages: [{ role: 'user', content: 'Hi' }] }));
    const stats = await get('/v1/tokens/stats');
    expect(stats.total_tokens).toBe(4);
    expect(JSON.stringify(stats)).not.toContain(A);
    expect((await get('/v1/tokens/rotate', { method: 'POST' })).success).toBe(true);
    gh.limit('*', { type: 'minute', waitSeconds: 29, count: 1 });
    await get('/v1/chat/completions', { method: 'POST', body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }) });
    const observed = await get('/v1/rate-limits/observed');
    expect(observed).toMatchObject({ adaptive: true, window_seconds: 60 });
    expect(observed.data['openai/gpt-4o-mini'].guess).toBe(18);
  });
});
