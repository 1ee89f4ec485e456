/**
 * The grok-web provider's chat path end to end: the official openai client -> Switchboard -> the
 * fake Grok server of test/fakes/, with SSO accounts in the pool.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { useFakeGrok } from './helpers/lifecycle.js';
import { ManualClock } from '../core/state/clock.js';
import { GROK_SSO, GROK_WEB_RESULTS, GROK_X_RESULTS, checkGrokHeaders, grokReply, grokThinking } from './fakes/grok-web.js';
import { startSwitchboard } from './helpers/switchboard.js';
import { GROK_ACCOUNTS, askInlineAndQuiet, estimatedTokens, useGrokSwitchboard } from './helpers/grok-switchboard.js';

const fake = useFakeGrok();
const grok = useGrokSwitchboard(fake, 'http'); // this suite is the HTTP dialect's; the gateway has grok-gateway.test.ts
const { start } = grok;
const ACCOUNTS = GROK_ACCOUNTS;


const chats = () => fake.grok.requests.filter((r) => r.path === '/rest/app-chat/conversations/new');
const view = (sso: string) => grok.view(sso);

describe('grok-web chat', () => {
  it("the Grok3API server's README example: model grok-3 answers \"What is Python?\"", async () => {
    const client = await start();
    const r = await client.chat.completions.create({ model: 'grok-3', messages: [{ role: 'user', content: 'What is Python?' }] });
    expect(r.choices[0].message.content).toBe(grokReply('What is Python?'));
    // Grok reports no usage: it is estimated from the prompt sent and the fake's answer, and says so
    const prompt = estimatedTokens('What is Python?');
    const completion = estimatedTokens(grokReply('What is Python?'));
    expect(r.usage).toEqual({ prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, estimated: true });
    const req = chats()[0];
    expect(checkGrokHeaders(req, fake.grok.url)).toEqual([]);
    expect(req.body).toMatchObject({ message: 'What is Python?', modelName: 'grok-3', modelMode: 'MODEL_MODE_FAST', temporary: true, disableMemory: true });
  });

  it('streams a v2 model with its thinking as reasoning_content; the text reassembles exactly', async () => {
    const client = await start();
    const stream = await client.chat.completions.create({ model: 'grok-4.20-0309-reasoning', messages: [{ role: 'user', content: 'think first' }], stream: true });
    let text = '';
    let reasoning = '';
    for await (const c of stream) {
      text += c.choices[0]?.delta.content ?? '';
      reasoning += (c.choices[0]?.delta as { reasoning_content?: string } | undefined)?.reasoning_content ?? '';
    }
    expect(text).toBe(grokReply('think first'));
    expect(reasoning).toBe(grokThinking('think first').join(''));
    expect(chats()[0].body).toMatchObject({ modeId: 'expert' });
  });

  it('thinking: inline puts the thoughts in <think>; reasoning_effort none hides them', async () => {
    const client = await start({ thinking: 'inline' });
    const { inline, quiet } = await askInlineAndQuiet(client, 'grok-4.20-0309-reasoning', 'hm');
    expect(inline).toBe(`<think>\n${grokThinking('hm').join('')}\n</think>\n${grokReply('hm')}`);
    expect(quiet).toBe(grokReply('hm'));
  });

  it('flattens a conversation into one message and drops earlier <think> blocks', async () => {
    const client = await start();
    await client.chat.completions.create({
      model: 'grok-3',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: '<think>hidden</think>Hello!' },
        { role: 'user', content: 'And now?' },
      ],
    });
    expect(chats()[0].body?.message).toBe('[system]: Be brief.\n\n[user]: Hi\n\n[assistant]: Hello!\n\nAnd now?');
  });

  it('UI markup and tool frames never reach the client', async () => {
    fake.grok.script('*', { kind: 'extras' });
    const client = await start();
    const r = await client.chat.completions.create({ model: 'grok-3', messages: [{ role: 'user', content: 'search it' }] });
    const text = r.choices[0].message.content ?? '';
    expect(text).toContain(grokReply('search it'));
    expect(text).not.toMatch(/xaiartifact|grok:render|tool_usage_card/i);
    expect(text).not.toContain('## Sources'); // off by default
  });

  it('showSearchSources adds the web and X results Grok used as a "## Sources" list', async () => {
    fake.grok.script('*', { kind: 'extras' });
    const client = await start({ showSearchSources: true });
    const r = await client.chat.completions.create({ model: 'grok-3', messages: [{ role: 'user', content: 'search it' }] });
    const text = r.choices[0].message.content ?? '';
    const [answer, sources] = text.split('\n\n## Sources\n');
    expect(answer).toBe(grokReply('search it'));
    expect(sources.split('\n')).toEqual([
      ...GROK_WEB_RESULTS.map((w) => `- [${w.title}](${w.url})`),
      ...GROK_X_RESULTS.map((x) => `- [@${x.username}: ${x.text}](https://x.com/${x.username}/status/${x.postId})`),
    ]);
  });

  it('a history longer than historyFileChars goes up as a text file; only the last turn is inline', async () => {
    const client = await start({ historyFileChars: 100 });
    const long = 'x'.repeat(120);
    const messages = [
      { role: 'system' as const, content: 'Be brief.' },
      { role: 'user' as const, content: long },
      { role: 'assistant' as const, content: 'Noted.' },
      { role: 'user' as const, content: 'Summarise.' },
    ];
    const r = await client.chat.completions.create({ model: 'grok-3', messages });
    const upload = fake.grok.uploads.at(-1)!;
    expect(upload).toMatchObject({ fileName: 'conversation.txt', mimeType: 'text/plain' });
    expect(upload.bytes.toString('utf8')).toBe(`[system]: Be brief.\n\n[user]: ${long}\n\n[assistant]: Noted.`);
    const sent = chats()[0].body!;
    expect(sent.fileAttachments).toEqual([upload.fileId]);
    expect(sent.message).toMatch(/attached file conversation\.txt.*\n\nSummarise\.$/s);
    expect(r.choices[0].message.content).toBe(grokReply(String(sent.message), [upload.fileId]));
    // Under the limit, everything stays inline.
    await client.chat.completions.create({ model: 'grok-3', messages: [{ role: 'user', content: 'short' }, { role: 'assistant', content: 'ok' }, { role: 'user', content: 'again' }] });
    expect(chats()[1].body).toMatchObject({ fileAttachments: [], message: '[user]: short\n\n[assistant]: ok\n\nagain' });
  });

  it('GROK_COOKIES may name a file of accounts, one per line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-cookies-'));
    try {
      await writeFile(join(dir, 'cookies.txt'), `# accounts\n${GROK_SSO.basic}\nsso=${GROK_SSO.super}; sso-rw=${GROK_SSO.super}\n`);
      const own = await startSwitchboard(
        { providers: [{ id: 'grok', plugin: 'grok-web', chatTransport: 'http', baseUrl: fake.grok.url, assetsUrl: fake.grok.assetsUrl, credentials: { env: 'GROK_COOKIES' }, pool: { strategy: 'round-robin' } }] },
        { env: { GROK_COOKIES: join(dir, 'cookies.txt') } },
      );
      try {
        const client = new OpenAI({ baseURL: own.baseURL, apiKey: 'none', maxRetries: 0 });
        for (const q of ['one', 'two']) await client.chat.completions.create({ model: 'grok-3', messages: [{ role: 'user', content: q }] });
        expect(new Set(fake.grok.accountsSeen())).toEqual(new Set([GROK_SSO.basic, GROK_SSO.super]));
      } finally {
        await own.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('grok-web tier routing', () => {
  it('a basic model uses basic accounts first, then super ones; a super model never a basic one', async () => {
    const clock = new ManualClock(Date.now());
    // listed super first: the order of the list does not beat the tier
    const client = await start({}, { clock, credentials: [ACCOUNTS[1], ACCOUNTS[0]] });
    for (let i = 0; i < 3; i++) await client.chat.completions.create({ model: 'grok-3', messages: [{ role: 'user', content: 'b' }] });
    expect(fake.grok.accountsSeen()).toEqual([GROK_SSO.basic, GROK_SSO.basic, GROK_SSO.basic]);
    fake.grok.script(GROK_SSO.basic, { kind: 'rate-limited' });
    await client.chat.completions.create({ model: 'grok-3', messages: [{ role: 'user', content: 'b' }] });
    expect(fake.grok.accountsSeen().slice(3)).toEqual([GROK_SSO.basic, GROK_SSO.super]); // basic cooled: super serves
    fake.grok.clear();
    await client.chat.completions.create({ model: 'grok-4.20-0309', messages: [{ role: 'user', content: 's' }] });
    expect(fake.grok.accountsSeen()).toEqual([GROK_SSO.super]);
  });

  it('a heavy model without a heavy account is refused with the reason, without a call', async () => {
    await start();
    const res = await fetch(`${grok.sb().baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'grok/grok-4.20-multi-agent-0309', messages: [{ role: 'user', content: 'h' }] }) });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('2 not for model grok-4.20-multi-agent-0309');
    expect(chats()).toHaveLength(0);
  });
});

describe('grok-web failures', () => {
  it('a 429 rotates to the next account, which rests an hour', async () => {
    const clock = new ManualClock(Date.now());
    fake.grok.script(GROK_SSO.basic, { kind: 'rate-limited' });
    const client = await start({}, { clock });
    const r = await client.chat.completions.create({ model: 'grok-3', messages: [{ role: 'user', content: 'again' }] });
    expect(r.choices[0].message.content).toBe(grokReply('again'));
    expect(fake.grok.accountsSeen()).toEqual([GROK_SSO.basic, GROK_SSO.super]);
    expect(view(GROK_SSO.basic).models['grok-3'].cooldownUntil).toBe(clock.now() + 3_600_000);
  });

  it('an in-band code 8 counts as a rate limit too', async () => {
    fake.grok.script(GROK_SSO.basic, { kind: 'in-band-error', code: 8, message: 'Too many requests', count: 1 });
    const client = await start();
    const r = await client.chat.completions.create({ model: 'grok-3', messages: [{ role: 'user', content: 'x' }] });
    expect(r.choices[0].message.content).toBe(grokReply('x'));
    expect(view(GROK_SSO.basic).models['grok-3'].cooldownReason).toBe('rate limited');
  });

  it('an expired account (401) is disabled', async () => {
    fake.grok.script(GROK_SSO.basic, { kind: 'unauthorized' });
    const client = await start();
    await client.chat.completions.create({ model: 'grok-3', messages: [{ role: 'user', content: 'x' }] });
    expect(view(GROK_SSO.basic).enabled).toBe(false);
  });

  it('three 4xx in a row expire an account (the seeds\' rule); a success in between resets the count', async () => {
    await start({}, { credentials: [ACCOUNTS[0]] });
    const ask = () => fetch(`${grok.sb().baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'grok-3', messages: [{ role: 'user', content: 'x' }] }) });
    const off = fake.grok.script(GROK_SSO.basic, { kind: 'forbidden' });
    expect((await ask()).status).toBe(502);
    expect((await ask()).status).toBe(502);
    off();
    expect((await ask()).status).toBe(200); // resets the count
    fake.grok.script(GROK_SSO.basic, { kind: 'forbidden' });
    for (let i = 0; i < 3; i++) await ask();
    const basic = view(GROK_SSO.basic);
    expect(basic.enabled).toBe(false);
    expect(basic.disabledReason).toBe('expired (3 client errors in a row)');
    const after = await ask();
    expect(after.status).toBe(503);
    expect(((await after.json()) as { error: { message: string } }).error.message).toContain('1 disabled (expired');
  });

  it('a Cloudflare challenge spares the account and tells the operator what to refresh', async () => {
    fake.grok.script('*', { kind: 'cloudflare', count: 1 });
    await start({}, { credentials: [ACCOUNTS[0]] });
    const res = await fetch(`${grok.sb().baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'grok-3', messages: [{ role: 'user', content: 'x' }] }) });
    const body = (await res.json()) as { error: { message: string } };
    expect(res.status).toBe(502);
    expect(body.error.message).toContain('cfClearance');
    const basic = view(GROK_SSO.basic);
    expect(basic.failures).toBe(0);
    expect(basic.skipRequests).toBe(0);
    // and the next request goes through on the same account
    const ok = await fetch(`${grok.sb().baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'grok-3', messages: [{ role: 'user', content: 'y' }] }) });
    expect(ok.status).toBe(200);
  });

  it('an anti-bot rejection (code 7) says to refresh statsig, without blaming the account', async () => {
    fake.grok.script('*', { kind: 'anti-bot', count: 1 });
    await start({}, { credentials: [ACCOUNTS[0]] });
    const res = await fetch(`${grok.sb().baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'grok-3', messages: [{ role: 'user', content: 'x' }] }) });
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('statsig');
    expect(view(GROK_SSO.basic).failures).toBe(0);
  });

  it('an unknown model is a 404 from the catalogue, without a call', async () => {
    const client = await start();
    const err = (await client.chat.completions.create({ model: 'grok/grok-99', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err.status).toBe(404);
    expect(err.code).toBe('model_not_found');
    expect(chats()).toHaveLength(0);
  });
});

describe('grok-web quotas', () => {
  const run = async (client: OpenAI, model = 'grok-3') => client.chat.completions.create({ model, messages: [{ role: 'user', content: 'q' }] });

  it('the refresh-all job reads every account and window, a few at a time, once at a time; successes count down', async () => {
    const client = await start();
    const refresh = grok.sb().app.switchboard.quotaRefresh;
    const handle = grok.sb().app.switchboard.providers.get('grok')!;
    const job = refresh.start(handle, 2);
    expect(() => refresh.start(handle)).toThrow(/already running/);
    await job.finished;
    const windows = handle.instance.quotaModels!().length;
    expect(job).toMatchObject({ total: 2 * windows, done: 2 * windows, failed: 0 });
    expect(fake.grok.requests.filter((r) => r.path === '/rest/rate-limits')).toHaveLength(2 * windows);
    const before = view(GROK_SSO.basic).models['grok-3'].observed!.remainingRequests!;
    expect(before).toBe(fake.grok.quota(GROK_SSO.basic, 'grok-3')!.remainingQueries);
    await run(client);
    expect(view(GROK_SSO.basic).models['grok-3'].observed!.remainingRequests).toBe(before - 1);
    // a finished job does not block the next, which reads everything again
    const again = refresh.start(handle);
    expect(again).not.toBe(job);
    await expect(again.finished).resolves.toMatchObject({ total: 2 * windows, done: 2 * windows, failed: 0, errors: [] });
    expect(fake.grok.requests.filter((r) => r.path === '/rest/rate-limits')).toHaveLength(4 * windows);
    expect(view(GROK_SSO.basic).models['grok-3'].observed!.remainingRequests).toBe(fake.grok.quota(GROK_SSO.basic, 'grok-3')!.remainingQueries);
  });

  it('the refresh-all job counts the reads that failed, naming the account without its secret', async () => {
    fake.grok.script(GROK_SSO.basic, { kind: 'unauthorized', on: 'quota' });
    await start();
    const handle = grok.sb().app.switchboard.providers.get('grok')!;
    const job = await grok.sb().app.switchboard.quotaRefresh.start(handle).finished;
    const windows = handle.instance.quotaModels!().length;
    expect(job.failed).toBe(windows);
    expect(job.done).toBe(2 * windows);
    expect(job.errors[0]).toContain(view(GROK_SSO.basic).id);
    expect(JSON.stringify(job)).not.toContain(GROK_SSO.basic);
  });

  it('quota-aware: of two accounts of one tier, the one with more queries left serves', async () => {
    const client = await start({ pool: { strategy: 'quota-aware' } }, { credentials: [{ value: GROK_SSO.basic, tier: 'basic' }, { value: GROK_SSO.super, tier: 'basic' }] });
    fake.grok.setQuota(GROK_SSO.basic, 'grok-3', 3);
    fake.grok.setQuota(GROK_SSO.super, 'grok-3', 9);
    await grok.sb().app.switchboard.quotaRefresh.start(grok.sb().app.switchboard.providers.get('grok')!).finished;
    await run(client);
    expect(fake.grok.accountsSeen()).toEqual([GROK_SSO.super]);
  });

  it('a 429 with nothing left in the window rests the account until it resets, not an hour', async () => {
    const clock = new ManualClock(Date.now());
    fake.grok.setQuota(GROK_SSO.basic, 'grok-3', 0, 7200);
    const client = await start({}, { clock });
    expect((await run(client)).choices[0].message.content).toBe(grokReply('q')); // the super account served
    const m = view(GROK_SSO.basic).models['grok-3'];
    expect(m.cooldownReason).toBe('quota exhausted');
    expect(m.cooldownUntil).toBe(clock.now() + 7_200_000);
    expect(m.observed?.remainingRequests).toBe(0);
  });
});

describe('grok-web defaults', () => {
  it("runs with the seeds' stream timeouts unless the config says otherwise", async () => {
    await start();
    expect(grok.sb().app.switchboard.providers.get('grok')!.timeouts).toEqual({ firstByteMs: 30_000, idleMs: 120_000, totalMs: 600_000 });
    await grok.sb().close();
    await start({ timeouts: { idleMs: 5_000 } });
    expect(grok.sb().app.switchboard.providers.get('grok')!.timeouts).toEqual({ firstByteMs: 30_000, idleMs: 5_000, totalMs: 600_000 });
  });
});
