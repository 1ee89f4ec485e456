/**
 * The string-endpoint extension end to end: `GET /v1/string?q=` and `POST /v1/string` over real
 * sockets with fetch, the way curl and shell scripts call it — the answer and every error as
 * plain UTF-8 text with its status. The mock provider's `echo` repeats the prompt; a fake
 * OpenAI-compatible upstream plays a real provider (and fails on cue).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultReply, startFakeOpenAI, type FakeOpenAI } from './fakes/openai-upstream.js';
import { ONE_ATTEMPT, startSwitchboard, type RunningSwitchboard } from './helpers/switchboard.js';

const KEY = 'sk-string-client-0123456789';
const TEXT = 'text/plain; charset=utf-8';
const MISSING_PROMPT = 'Missing prompt: pass ?q=... or a request body.';

let up: FakeOpenAI;
/** Client keys, `echo` as the default model, maxChars 200. */
let sb: RunningSwitchboard;
/** Open (no keys), no default model, a system prompt. */
let open: RunningSwitchboard;

beforeAll(async () => {
  up = await startFakeOpenAI({ models: ['gpt-4o-mini'] });
  const providers = [
    { id: 'mock', plugin: 'mock' },
    { id: 'up', plugin: 'openai-compatible', baseUrl: up.url, apiKey: 'sk-upstream-secret-0123456789', models: ['gpt-4o-mini'], ...ONE_ATTEMPT },
  ];
  sb = await startSwitchboard({ auth: { apiKeys: [KEY] }, providers, plugins: { 'string-endpoint': { model: 'echo', maxChars: 200 } } });
  open = await startSwitchboard({ providers, plugins: { 'string-endpoint': { system: 'Answer in one line.' } } });
});
afterAll(async () => {
  await sb?.close();
  await open?.close();
  await up?.close();
});

interface Answer {
  status: number;
  type: string | null;
  text: string;
  headers: Headers;
}

async function call(server: RunningSwitchboard, path: string, init: RequestInit = {}, key: string | null = KEY): Promise<Answer> {
  const headers = new Headers(init.headers);
  if (key) headers.set('authorization', `Bearer ${key}`);
  const res = await fetch(`${server.origin}${path}`, { ...init, headers });
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, type: res.headers.get('content-type'), text: bytes.toString('utf8'), headers: res.headers };
}

const get = (q: string, extra = '') => call(sb, `/v1/string?q=${encodeURIComponent(q)}${extra}`);
const post = (body: RequestInit['body'], contentType?: string, query = '') =>
  call(sb, `/v1/string${query}`, { method: 'POST', body, headers: contentType ? { 'content-type': contentType } : {} });

describe('answers', () => {
  it('GET ?q= answers with the reply only, as text/plain; charset=utf-8', async () => {
    const a = await get('Hello, Switchboard!');
    expect(a).toMatchObject({ status: 200, type: TEXT, text: 'Hello, Switchboard!' });
  });

  it('POST takes the raw body, as curl --data sends it (form content type, not decoded)', async () => {
    const a = await post('what is a=1&b=2 + 3?', 'application/x-www-form-urlencoded');
    expect(a).toMatchObject({ status: 200, type: TEXT, text: 'what is a=1&b=2 + 3?' });
  });

  it('POST text/plain, and a body with no content type at all', async () => {
    expect(await post('plain\ntext, two lines', 'text/plain')).toMatchObject({ status: 200, text: 'plain\ntext, two lines' });
    expect(await post(new TextEncoder().encode('bytes, no type'))).toMatchObject({ status: 200, text: 'bytes, no type' });
  });

  it('POST JSON: {"q"}, {"prompt"}, a JSON string, and a "model" in the body', async () => {
    expect(await post(JSON.stringify({ q: 'from q' }), 'application/json')).toMatchObject({ status: 200, type: TEXT, text: 'from q' });
    expect(await post(JSON.stringify({ prompt: 'from prompt' }), 'application/json')).toMatchObject({ status: 200, text: 'from prompt' });
    expect(await post(JSON.stringify('a JSON string'), 'application/json; charset=utf-8')).toMatchObject({ status: 200, text: 'a JSON string' });
    const viaBody = await post(JSON.stringify({ q: 'hi', model: 'up/gpt-4o-mini' }), 'application/json');
    expect(viaBody).toMatchObject({ status: 200, text: defaultReply({ messages: [{ role: 'user', content: 'hi' }] }) });
  });

  it('?model= overrides the configured default', async () => {
    const a = await get('hello upstream', '&model=up/gpt-4o-mini');
    expect(a).toMatchObject({ status: 200, type: TEXT, text: 'You said: hello upstream — and that is all.' });
    const sent = up.requests.at(-1)!;
    expect(sent.body).toMatchObject({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello upstream' }] });
    expect(sent.body?.stream).not.toBe(true);
    const posted = await post('from the body', 'text/plain', '?model=up/gpt-4o-mini');
    expect(posted.text).toBe('You said: from the body — and that is all.');
  });

  it('round-trips non-ASCII text both ways, with the exact content type and a byte-accurate length', async () => {
    const text = 'Привіт, 世界! Ünïcødé — “quotes” 👋🏽 ok';
    for (const a of [await get(text), await post(text, 'text/plain; charset=utf-8'), await post(text, 'application/x-www-form-urlencoded')]) {
      expect(a.status).toBe(200);
      expect(a.type).toBe(TEXT);
      expect(a.text).toBe(text);
      expect(Number(a.headers.get('content-length'))).toBe(Buffer.byteLength(text, 'utf8'));
    }
  });

  it('sends the configured system message before the prompt', async () => {
    const a = await call(open, `/v1/string?model=up/gpt-4o-mini&q=${encodeURIComponent('2+2?')}`, {}, null);
    expect(a).toMatchObject({ status: 200, text: 'You said: 2+2? — and that is all.' });
    expect(up.requests.at(-1)!.body?.messages).toEqual([
      { role: 'system', content: 'Answer in one line.' },
      { role: 'user', content: '2+2?' },
    ]);
  });

  it('HEAD is not a route (it would ask the model for nothing)', async () => {
    const before = up.requests.length;
    const res = await fetch(`${open.origin}/v1/string?model=up/gpt-4o-mini&q=x`, { method: 'HEAD' });
    expect(res.status).toBe(404);
    expect(up.requests.length).toBe(before);
  });
});

describe('errors are plain text with their status', () => {
  const expectPlain = (a: Answer, status: number) => {
    expect(a.status).toBe(status);
    expect(a.type).toBe(TEXT);
    expect(a.text).not.toMatch(/^\s*[{[]/); // not the JSON envelope
    expect(a.text).not.toMatch(/\n\s+at /); // no stack trace
  };

  it('400 for a missing or blank prompt', async () => {
    const answers = [
      await call(sb, '/v1/string'),
      await get(''),
      await get('   '),
      await post('', 'text/plain'),
      await post('', 'application/json'),
      await post('{}', 'application/json'),
      await call(sb, '/v1/string', { method: 'POST' }),
    ];
    for (const a of answers) {
      expectPlain(a, 400);
      expect(a.text).toBe(MISSING_PROMPT);
    }
  });

  it('400 for a JSON body that does not parse, or a prompt that is not a string', async () => {
    const bad = await post('{"q": "unterminated', 'application/json');
    expectPlain(bad, 400);
    expect(bad.text).toContain('not valid JSON');
    const wrong = await post(JSON.stringify({ q: 42 }), 'application/json');
    expectPlain(wrong, 400);
    expect(wrong.text).toContain("'q'");
  });

  it('400 naming the model parameter when there is no ?model= and no default', async () => {
    const a = await call(open, '/v1/string?q=hi', {}, null);
    expectPlain(a, 400);
    expect(a.text).toContain("'model'");
  });

  it('404 for an unknown model', async () => {
    const a = await get('hi', '&model=no-such-model');
    expectPlain(a, 404);
    expect(a.text).toContain("'no-such-model' does not exist");
  });

  it('401 without a client key or with a wrong one; 200 with Authorization: Bearer or x-api-key', async () => {
    const none = await call(sb, '/v1/string?q=hi', {}, null);
    expectPlain(none, 401);
    expect(none.text).toContain("You didn't provide an API key");
    const wrong = await call(sb, '/v1/string', { method: 'POST', body: 'hi' }, 'sk-wrong');
    expectPlain(wrong, 401);
    expect(wrong.text).toBe('Incorrect API key provided.');
    expect(await call(sb, '/v1/string?q=hi')).toMatchObject({ status: 200, text: 'hi' });
    expect(await call(sb, '/v1/string?q=hi', { headers: { 'x-api-key': KEY } }, null)).toMatchObject({ status: 200, text: 'hi' });
  });

  it('413 over maxChars, counted in characters (code points), not UTF-16 units or bytes', async () => {
    const over = await post('x'.repeat(201), 'text/plain');
    expectPlain(over, 413);
    expect(over.text).toBe('The prompt is 201 characters long; this endpoint accepts at most 200.');
    expectPlain(await get('y'.repeat(201)), 413);
    const emoji = '👋'.repeat(200); // 400 UTF-16 units, 800 bytes, 200 characters
    expect(await post(emoji, 'text/plain')).toMatchObject({ status: 200, text: emoji });
  });

  it("an upstream failure keeps the gateway's status and message (500 upstream -> 502)", async () => {
    up.script({ kind: 'status', status: 500, body: { error: { message: 'The server had an error', type: 'server_error' } } });
    const a = await get('hi', '&model=up/gpt-4o-mini');
    expectPlain(a, 502);
    expect(a.text).toContain('The server had an error');
    expect(a.text).not.toContain('sk-upstream-secret');
  });

  it('503 while the server is not ready', async () => {
    sb.app.switchboard.ready = false;
    try {
      const a = await get('hi');
      expectPlain(a, 503);
      expect(a.text).toContain('shutting down');
    } finally {
      sb.app.switchboard.ready = true;
    }
  });

  it('leaves the core JSON envelope alone on the other /v1 routes', async () => {
    const res = await fetch(`${sb.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('missing_api_key');
  });
});
