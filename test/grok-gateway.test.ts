/**
 * grok-web over grok.com's WebSocket chat gateway (the default `chatTransport`), end to end: the
 * official openai client -> Switchboard -> the fake grok.com of test/fakes/ speaking the gateway
 * protocol over a real socket, with SSO accounts in the pool.
 */
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../core/state/clock.js';
import { ANTI_BOT_ERROR, GROK_SITE_VERIFICATION, GROK_SSO, DEFAULT_GROK_ACCOUNTS, fakeJpeg, grokReply, grokThinking } from './fakes/grok-web.js';
import { signedValue, startFakeSigner, type FakeSigner } from './fakes/statsig-signer.js';
import { startFakeProxy, type FakeProxy } from './fakes/http-proxy.js';
import { useFakeGrok } from './helpers/lifecycle.js';
import { GROK_ACCOUNTS, askInlineAndQuiet, estimatedTokens, useGrokSwitchboard } from './helpers/grok-switchboard.js';

const fake = useFakeGrok();
const grok = useGrokSwitchboard(fake, 'websocket');
const { start } = grok;
let proxy: FakeProxy | undefined;

afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

const ACCOUNTS = GROK_ACCOUNTS;

const turns = () => fake.grok.gatewayTurns;
const upgraded = () => turns().filter((t) => t.status === 101);
const sessions = () => fake.grok.requests.filter((r) => r.endpoint === 'session');
const view = (sso: string) => grok.view(sso);
const post = (body: unknown) => fetch(`${grok.sb().baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('grok-web chat over the WebSocket gateway', () => {
  it("the Grok3API README example: grok-3 answers \"What is Python?\" over one socket, closed by us after response.done", async () => {
    const client = await start();
    const r = await client.chat.completions.create({ model: 'grok-3', messages: [{ role: 'user', content: 'What is Python?' }] });
    expect(r.choices[0].message.content).toBe(grokReply('What is Python?'));
    const prompt = estimatedTokens('What is Python?');
    const completion = estimatedTokens(grokReply('What is Python?'));
    expect(r.usage).toEqual({ prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, estimated: true });
    const [turn] = upgraded();
    expect(turn.mode).toBe('fast');
    expect(turn.text).toBe('What is Python?');
    expect(turn.uid).toBe(DEFAULT_GROK_ACCOUNTS[0].userId);
    expect(turn.violations).toEqual([]);
    expect(turn.headers).not.toHaveProperty('x-statsig-id');
    expect(turn.cookies).toMatchObject({ sso: GROK_SSO.basic, 'sso-rw': GROK_SSO.basic, 'x-userid': DEFAULT_GROK_ACCOUNTS[0].userId });
    await expect.poll(() => turn.closedBy, { timeout: 1000 }).toBe('client');
    // the old route is not used for chat
    expect(fake.grok.requests.filter((q) => q.path === '/rest/app-chat/conversations/new')).toEqual([]);
  });

  it("the account's user id is looked up once, then kept; a cookie with x-userid needs no lookup", async () => {
    const client = await start({}, { credentials: [ACCOUNTS[0]] });
    for (const q of ['one', 'two', 'three']) await client.chat.completions.create({ model: 'grok-3', messages: [{ role: 'user', content: q }] });
    expect(sessions()).toHaveLength(1);
    expect(upgraded()).toHaveLength(3);
    await grok.sb().close();
    fake.grok.clear();
    const uid = DEFAULT_GROK_ACCOUNTS[1].userId;
    const c2 = await start({}, { credentials: [{ value: `sso=${GROK_SSO.super}; sso-rw=${GROK_SSO.super}; _ga=GA1.1; x-userid=${uid}`, tier: 'super' }] });
    const r = await c2.chat.completions.create({ model: 'grok-chat-auto', messages: [{ role: 'user', content: 'hi' }] });
    expect(r.choices[0].message.content).toBe(grokReply('hi'));
    expect(sessions()).toHaveLength(0);
    expect(upgraded()[0].cookies).not.toHaveProperty('_ga');
    expect(upgraded()[0].violations).toEqual([]);
  });

  it('streams expert thinking as reasoning_content chunk by chunk; the text reassembles exactly, the follow-up channel is dropped', async () => {
    const client = await start();
    const stream = await client.chat.completions.create({ model: 'grok-chat-expert', messages: [{ role: 'user', content: 'think first' }], stream: true });
    let text = '';
    let reasoning = '';
    let chunks = 0;
    for await (const c of stream) {
      chunks++;
      text += c.choices[0]?.delta.content ?? '';
      reasoning += (c.choices[0]?.delta as { reasoning_content?: string } | undefined)?.reasoning_content ?? '';
    }
    expect(text).toBe(grokReply('think first'));
    expect(reasoning).toBe(grokThinking('think first').join(''));
    expect(chunks).toBeGreaterThan(grokReply('think first').split(' ').length); // not buffered into one
    expect(upgraded()[0].mode).toBe('expert');
    expect(upgraded()[0].account).toBe(GROK_SSO.super); // expert is a super mode
  });

  it('thinking inline in <think>, or hidden with reasoning_effort none', async () => {
    const client = await start({ thinking: 'inline' });
    const { inline, quiet } = await askInlineAndQuiet(client, 'grok-chat-expert', 'hm');
    expect(inline).toBe(`<think>\n${grokThinking('hm').join('')}\n</think>\n${grokReply('hm')}`);
    expect(quiet).toBe(grokReply('hm'));
  });

  it('search cards stay out of the answer; showSearchSources lists the results and citations', async () => {
    fake.grok.script('*', { kind: 'extras', on: 'gateway' });
    const plain = await start();
    const r = await plain.chat.completions.create({ model: 'grok-3', messages: [{ role: 'user', content: 'search it' }] });
    expect(r.choices[0].message.content).toBe(grokReply('search it'));
    await grok.sb().close();
    const client = await start({ showSearchSources: true });
    const s = await client.chat.completions.create({ model: 'grok-3', messages: [{ role: 'user', content: 'search it' }] });
    const content = s.choices[0].message.content ?? '';
    const [answer, sources] = content.split('\n\n## Sources\n');
    expect(answer).toBe(grokReply('search it'));
    expect(sources).toContain('https://example.com/grok-fake-1');
    expect(sources).toMatch(/https:\/\/x\.com\/\w+\/status\/\d+/);
  });

  it('a drawn image is served from our cache with the bytes grok.com made', async () => {
    const client = await start();
    const r = await client.chat.completions.create({ model: 'grok-imagine-image-lite', messages: [{ role: 'user', content: 'a red fox' }] });
    const links = [...(r.choices[0].message.content ?? '').matchAll(/!\[image\]\(([^)]+)\)/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThan(0);
    expect(upgraded()[0].text).toBe('Drawing: a red fox');
    // Not kept alive: the client has every byte (content-length) a moment before the server's
    // response finishes, and app.close() right after would find the connection busy, not idle.
    const img = await fetch(links[0], { headers: { connection: 'close' } });
    expect(img.status).toBe(200);
    const bytes = Buffer.from(await img.arrayBuffer());
    expect(fake.grok.images.some((i) => i.bytes.equals(bytes))).toBe(true);
    expect(bytes.subarray(0, 2)).toEqual(fakeJpeg('x').subarray(0, 2));
  });
});

describe('quota windows per mode', () => {
  it('the refresh-all job reads one window per mode, asking by mode alone; each answer counts one down', async () => {
    const client = await start({}, { credentials: [ACCOUNTS[1]] });
    const handle = grok.sb().app.switchboard.providers.get('grok')!;
    expect(handle.instance.quotaModels!().length).toBe(4); // fast, auto, expert, heavy
    const job = grok.sb().app.switchboard.quotaRefresh.start(handle);
    await expect(job.finished).resolves.toMatchObject({ total: 4, done: 4, failed: 0 });
    const reads = fake.grok.requests.filter((r) => r.path === '/rest/rate-limits');
    expect(reads.map((r) => r.body).sort((a, b) => String(a?.modelName).localeCompare(String(b?.modelName)))).toEqual([{ modelName: 'auto' }, { modelName: 'expert' }, { modelName: 'fast' }, { modelName: 'heavy' }]);
    const before = view(GROK_SSO.super).models['grok-chat-expert'].observed!.remainingRequests!;
    expect(before).toBe(fake.grok.quota(GROK_SSO.super, 'expert').remainingQueries);
    await client.chat.completions.create({ model: 'grok-chat-expert', messages: [{ role: 'user', content: 'x' }] });
    expect(view(GROK_SSO.super).models['grok-chat-expert'].observed!.remainingRequests).toBe(before - 1);
  });

  it('an account without a configured tier takes the one its windows show (auto 50: super) once they were read', async () => {
    await start({}, { credentials: [{ value: GROK_SSO.super }] });
    const ask = () => post({ model: 'grok-chat-auto', messages: [{ role: 'user', content: 'x' }] });
    expect((await ask()).status).toBe(503); // counted as basic: auto wants super
    const handle = grok.sb().app.switchboard.providers.get('grok')!;
    await grok.sb().app.switchboard.quotaRefresh.start(handle).finished;
    const ok = await ask();
    expect(ok.status).toBe(200);
    expect(upgraded().at(-1)!.mode).toBe('auto');
  });
});

describe('statsig for the REST calls', () => {
  let signer: FakeSigner | undefined;
  afterEach(async () => {
    await signer?.close();
    signer = undefined;
  });
  const readAll = async () => {
    const handle = grok.sb().app.switchboard.providers.get('grok')!;
    return grok.sb().app.switchboard.quotaRefresh.start(handle).finished;
  };
  const reads = () => fake.grok.requests.filter((r) => r.path === '/rest/rate-limits');

  it('without the option the quota reads go without x-statsig-id (no third-party signer is assumed)', async () => {
    await start({}, { credentials: [ACCOUNTS[1]] });
    await expect(readAll()).resolves.toMatchObject({ done: 4, failed: 0 });
    expect(reads().map((r) => r.statsig)).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('a fixed value must be a signed one (base64 of 70 bytes): carried as is; anything else refused at start-up', async () => {
    const value = signedValue('POST', '/rest/rate-limits', 1);
    await start({ statsig: value }, { credentials: [ACCOUNTS[1]] });
    await readAll();
    expect(reads().every((r) => r.statsig === value)).toBe(true);
    await grok.close();
    await expect(start({ statsig: 'bm90IDcwIGJ5dGVz' })).rejects.toThrow(/statsig: a fixed value must be base64 of 70 bytes/);
  });

  it("a signer signs per method and path from the page's site-verification meta, once an hour for every account", async () => {
    signer = await startFakeSigner();
    await start({ statsig: { signerUrl: signer.url } });
    await readAll(); // two accounts, four windows each
    expect(signer.requests).toEqual([{ method: 'POST', path: '/rest/rate-limits', environment: { metaContent: GROK_SITE_VERIFICATION } }]);
    expect(reads()).toHaveLength(8);
    expect(new Set(reads().map((r) => r.statsig))).toEqual(new Set([signedValue('POST', '/rest/rate-limits', 1)]));
    expect(fake.grok.requests.filter((r) => r.endpoint === 'page').map((r) => r.path)).toEqual(['/index']);
  });

  it('a signer that fails is asked once more after the page is read again; still failing, the read goes without the header', async () => {
    signer = await startFakeSigner();
    signer.failNext(2);
    await start({ statsig: { signerUrl: signer.url } }, { credentials: [ACCOUNTS[1]] });
    await expect(readAll()).resolves.toMatchObject({ done: 4, failed: 0 });
    expect(signer.requests).toHaveLength(2); // the four reads waited for one signing, tried twice
    expect(reads().map((r) => r.statsig)).toEqual([undefined, undefined, undefined, undefined]);
    expect(grok.sb().logText()).toContain('the statsig signer gave no value');
    expect(fake.grok.requests.filter((r) => r.endpoint === 'page')).toHaveLength(2); // the page read again for the second try
    // the next reads ask again, and get one
    await readAll();
    expect(signer.requests).toHaveLength(3);
    expect(reads().slice(4).every((r) => r.statsig === signedValue('POST', '/rest/rate-limits', 3))).toBe(true);
  });

  it('a code-7 answer to a signed read gets a fresh signature and one more try', async () => {
    signer = await startFakeSigner();
    fake.grok.script(GROK_SSO.super, { kind: 'forbidden', on: 'quota', body: ANTI_BOT_ERROR, count: 1 });
    await start({ statsig: { signerUrl: signer.url } }, { credentials: [ACCOUNTS[1]] });
    await expect(readAll()).resolves.toMatchObject({ done: 4, failed: 0 });
    expect(reads()[0].status).toBe(403);
    expect(signer.requests).toHaveLength(2);
    expect(reads()[0].statsig).toBe(signedValue('POST', '/rest/rate-limits', 1));
    expect(reads().at(-1)!.statsig).toBe(signedValue('POST', '/rest/rate-limits', 2)); // the retry, signed anew
  });
});

describe('images in requests over the gateway', () => {
  const png = (label: string) => `data:image/png;base64,${Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from(label)]).toString('base64')}`;
  const withImages = (n: number) => ({
    model: 'grok-3',
    messages: [{ role: 'user', content: [{ type: 'text', text: 'see' }, ...Array.from({ length: n }, (_, i) => ({ type: 'image_url', image_url: { url: png(`img-${i}`) } }))] }],
  });

  it('go up through upload v2 (multipart, no statsig) and ride the message as file mentions; the last eight of a request', async () => {
    await start({}, { credentials: [ACCOUNTS[0]] });
    const res = await post(withImages(10));
    expect(res.status).toBe(200);
    const ups = fake.grok.requests.filter((r) => r.endpoint === 'upload-v2');
    expect(ups).toHaveLength(8);
    expect(ups.every((u) => u.statsig === undefined && String(u.headers['content-type']).startsWith('multipart/form-data'))).toBe(true);
    const turn = upgraded()[0];
    const ids = fake.grok.uploads.slice(-8).map((u) => u.fileMetadataId);
    expect(turn.fileIds).toEqual(ids);
    expect(turn.violations).toEqual([]);
    // the bytes Grok got are the client's, and the answer names the files it saw
    expect(fake.grok.uploads.slice(-8).map((u) => u.bytes.subarray(8).toString())).toEqual(Array.from({ length: 8 }, (_, i) => `img-${i + 2}`));
    expect(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0].message.content).toBe(grokReply('see', ids as string[]));
  });

  it('a file Grok refuses (terminalError) is a 400 for the request, not the account', async () => {
    await start({}, { credentials: [ACCOUNTS[0]] });
    const res = await post({ model: 'grok-3', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/x-icon;base64,AAABAAEAEBAAAAEAIAA=' } }] }] });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('refused the attached file');
    expect(view(GROK_SSO.basic).failures).toBe(0);
    expect(upgraded()).toHaveLength(0);
  });
});

describe('gateway failures', () => {
  it('a 429 at the handshake rotates to the next account, which serves; the first rests', async () => {
    const clock = new ManualClock(Date.now());
    fake.grok.script(GROK_SSO.basic, { kind: 'rate-limited', on: 'gateway' });
    const client = await start({}, { clock });
    const r = await client.chat.completions.create({ model: 'grok-3', messages: [{ role: 'user', content: 'again' }] });
    expect(r.choices[0].message.content).toBe(grokReply('again'));
    expect(turns().map((t) => [t.account, t.status])).toEqual([[GROK_SSO.basic, 429], [GROK_SSO.super, 101]]);
    expect(view(GROK_SSO.basic).models['grok-3'].cooldownUntil).toBeGreaterThan(clock.now());
  });

  it("a 429 at the handshake with Retry-After rests the account for that long, on the mode's window", async () => {
    const clock = new ManualClock(Date.now());
    fake.grok.script(GROK_SSO.basic, { kind: 'rate-limited', on: 'gateway', waitSeconds: 120 });
    const client = await start({}, { clock });
    await client.chat.completions.create({ model: 'grok-3', messages: [{ role: 'user', content: 'again' }] });
    expect(turns()[0].status).toBe(429);
    expect(view(GROK_SSO.basic).models['grok-3'].cooldownUntil).toBe(clock.now() + 120_000);
    // grok-chat-fast asks for the same mode: it rests too; grok-chat-expert (another window) does not
    expect(view(GROK_SSO.basic).models['grok-chat-fast']?.cooldownUntil).toBe(clock.now() + 120_000);
    expect(view(GROK_SSO.basic).models['grok-chat-expert']?.cooldownUntil ?? 0).toBeLessThanOrEqual(clock.now());
  });

  it('a 401 at the handshake disables the account; a blocked-user 403 too', async () => {
    fake.grok.script(GROK_SSO.basic, { kind: 'unauthorized', on: 'gateway' });
    const client = await start();
    expect((await client.chat.completions.create({ model: 'grok-3', messages: [{ role: 'user', content: 'x' }] })).choices[0].message.content).toBe(grokReply('x'));
    expect(view(GROK_SSO.basic).enabled).toBe(false);
    fake.grok.clear();
    fake.grok.script(GROK_SSO.super, { kind: 'expired', status: 403, marker: 'blocked-user', on: 'gateway' });
    expect((await post({ model: 'grok-3', messages: [{ role: 'user', content: 'y' }] })).status).toBe(503);
    expect(view(GROK_SSO.super).enabled).toBe(false);
  });

  it('a Cloudflare challenge at the handshake spares the account and says what to refresh', async () => {
    fake.grok.script('*', { kind: 'cloudflare', on: 'gateway', count: 1 });
    await start({}, { credentials: [ACCOUNTS[0]] });
    const res = await post({ model: 'grok-3', messages: [{ role: 'user', content: 'x' }] });
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('cfClearance');
    expect(view(GROK_SSO.basic).failures).toBe(0);
    expect((await post({ model: 'grok-3', messages: [{ role: 'user', content: 'y' }] })).status).toBe(200);
  });

  it('an anti-bot rejection (code 7) in band spares the account; the advice is about clearance, not statsig', async () => {
    fake.grok.script('*', { kind: 'anti-bot', on: 'gateway', count: 1 });
    await start({}, { credentials: [ACCOUNTS[0]] });
    const res = await post({ model: 'grok-3', messages: [{ role: 'user', content: 'x' }] });
    const message = ((await res.json()) as { error: { message: string } }).error.message;
    expect(message).toContain('cfClearance');
    expect(message).not.toContain('statsig');
    expect(view(GROK_SSO.basic).failures).toBe(0);
  });

  it("a usage limit rests the account for that mode's window; the next account serves", async () => {
    fake.grok.script(GROK_SSO.basic, { kind: 'usage-limit', on: 'gateway', count: 1 });
    const client = await start();
    expect((await client.chat.completions.create({ model: 'grok-3', messages: [{ role: 'user', content: 'x' }] })).choices[0].message.content).toBe(grokReply('x'));
    expect(view(GROK_SSO.basic).models['grok-3'].cooldownReason).toBe('quota exhausted');
  });

  it('a cut after the first chunk ends the stream with an error event, not a clean stop', async () => {
    fake.grok.script('*', { kind: 'cut', on: 'gateway', afterFrames: 4, count: 1 });
    await start({}, { credentials: [ACCOUNTS[0]] });
    const res = await post({ model: 'grok-3', messages: [{ role: 'user', content: 'a long enough question to cut' }], stream: true });
    expect(res.status).toBe(200);
    const events = (await res.text()).split('\n\n').filter(Boolean);
    expect(events.at(-1)).not.toBe('data: [DONE]');
    expect(JSON.parse(events.at(-1)!.slice(6)).error).toBeDefined();
  });

  it('a client that leaves mid-answer closes the WebSocket within a second', async () => {
    fake.grok.script('*', { kind: 'slow', on: 'gateway', delayMs: 200, count: 1 });
    await start({}, { credentials: [ACCOUNTS[0]] });
    await new Promise<void>((resolve, reject) => {
      const req = http.request(`${grok.sb().baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } });
      req.on('response', (res) =>
        res.once('data', () => {
          req.destroy();
          resolve();
        }),
      );
      req.on('error', () => resolve());
      req.end(JSON.stringify({ model: 'grok-3', messages: [{ role: 'user', content: 'one two three four five six' }], stream: true }));
      setTimeout(() => reject(new Error('no answer')), 5000);
    });
    const left = Date.now();
    const turn = upgraded()[0];
    await expect.poll(() => turn.closedAt, { timeout: 1000, interval: 20 }).toBeDefined();
    expect(turn.closedAt! - left).toBeLessThan(1000);
    expect(turn.closedBy).toBe('client');
  });

  it("a long answer keeps the socket alive with the web app's application-level ping", async () => {
    fake.grok.script('*', { kind: 'slow', on: 'gateway', delayMs: 60, count: 1 });
    const client = await start({ heartbeatSeconds: 0.1 }, { credentials: [ACCOUNTS[0]] });
    const r = await client.chat.completions.create({ model: 'grok-3', messages: [{ role: 'user', content: 'one two three four five six seven eight' }] });
    expect(r.choices[0].message.content).toBe(grokReply('one two three four five six seven eight'));
    const turn = upgraded()[0];
    expect(turn.pings).toBeGreaterThanOrEqual(2);
    const ping = turn.events.find((e) => (e.event as { type?: string }).type === 'ping') as { event: { event_id: string } };
    expect(ping.event.event_id).toMatch(/^evt_hb_\d+$/);
  });

  it('a 5xx at the handshake is transient: the next account serves, the first is not disabled', async () => {
    fake.grok.script(GROK_SSO.basic, { kind: 'server-error', status: 503, on: 'gateway', count: 1 });
    const client = await start({ retry: { attempts: 2, initialDelayMs: 1 } });
    expect((await client.chat.completions.create({ model: 'grok-3', messages: [{ role: 'user', content: 'x' }] })).choices[0].message.content).toBe(grokReply('x'));
    expect(turns().map((t) => [t.account, t.status])).toEqual([[GROK_SSO.basic, 503], [GROK_SSO.super, 101]]);
    expect(view(GROK_SSO.basic).enabled).toBe(true);
  });

  it('a gateway that accepts and then says nothing meets the first-byte timeout, and the socket is closed', async () => {
    fake.grok.script('*', { kind: 'hang', on: 'gateway', count: 1 });
    await start({ timeouts: { firstByteMs: 300, idleMs: 1000, totalMs: 5000 } }, { credentials: [ACCOUNTS[0]] });
    const res = await post({ model: 'grok-3', messages: [{ role: 'user', content: 'x' }] });
    expect(res.status).toBe(504);
    const turn = turns()[0];
    expect(turn.status).toBe(101);
    await expect.poll(() => turn.closedBy, { timeout: 1000, interval: 20 }).toBe('client');
  });

  it("regression: a frame over 16 MiB is the upstream's failure (a 502), not our internal error (ws's RangeError)", async () => {
    fake.grok.script('*', { kind: 'in-band-error', on: 'gateway', body: JSON.stringify({ event: { type: 'response.chunk', chunk: { text: { text: 'x'.repeat(17 * 1024 * 1024) } } } }), count: 1 });
    await start({}, { credentials: [ACCOUNTS[0]] });
    const res = await post({ model: 'grok-3', messages: [{ role: 'user', content: 'x' }] });
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/upstream "grok"/);
    await expect.poll(() => turns()[0].closedAt, { timeout: 1000, interval: 20 }).toBeDefined();
    expect((await post({ model: 'grok-3', messages: [{ role: 'user', content: 'y' }] })).status).toBe(200);
  });

  it('no sso token reaches the log, even when the gateway refuses it', async () => {
    fake.grok.script(GROK_SSO.basic, { kind: 'unauthorized', on: 'gateway' });
    const client = await start();
    await client.chat.completions.create({ model: 'grok-3', messages: [{ role: 'user', content: 'x' }] });
    for (const sso of Object.values(GROK_SSO)) expect(grok.sb().logText()).not.toContain(sso);
  });

  it('proxyUrl carries the WebSocket too (a CONNECT tunnel to grok.com)', async () => {
    proxy = await startFakeProxy();
    // A cookie with x-userid: no session lookup, so the socket is the only traffic to grok.com.
    const uid = DEFAULT_GROK_ACCOUNTS[0].userId;
    const client = await start({ proxyUrl: proxy.url }, { credentials: [{ value: `sso=${GROK_SSO.basic}; sso-rw=${GROK_SSO.basic}; x-userid=${uid}` }] });
    const r = await client.chat.completions.create({ model: 'grok-3', messages: [{ role: 'user', content: 'via proxy' }] });
    expect(r.choices[0].message.content).toBe(grokReply('via proxy'));
    expect(sessions()).toHaveLength(0);
    expect(proxy.seen).toContain(`CONNECT ${new URL(fake.grok.url).host}`);
  });
});
