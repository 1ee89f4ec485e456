/** The access log: one line per served request, batched, in pino's format, never with secrets. */
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from './fakes/openai-upstream.js';
import { startSwitchboard, upstreamConfig, type RunningSwitchboard } from './helpers/switchboard.js';

let upstream: FakeOpenAI | undefined;
let sb: RunningSwitchboard | undefined;
afterEach(async () => {
  await sb?.close();
  await upstream?.close();
});

async function serve(extra: Record<string, unknown> = {}) {
  upstream = await startFakeOpenAI();
  sb = await startSwitchboard(upstreamConfig(upstream.url, extra));
  for (const stream of [false, true]) {
    const res = await fetch(`${sb.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-test-client', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', stream, messages: [{ role: 'user', content: 'hi' }] }),
    });
    await res.text();
  }
  return sb;
}

describe('access log', () => {
  it('records each served request with the requested model and the provider that served it', async () => {
    const s = await serve();
    s.app.switchboard.accessLog?.flush();
    const lines = s.logs.filter((l) => l.msg === 'served');
    expect(lines).toHaveLength(2);
    expect(lines.map((l) => l.stream)).toEqual([false, true]);
    for (const l of lines) {
      expect(l).toMatchObject({ level: 30, status: 200, model: 'gpt-4o-mini', provider: 'up', route: '/v1/chat/completions', attempts: 1 });
      expect(typeof l.reqId).toBe('string');
      expect(l.ms).toBeGreaterThanOrEqual(0);
      // the masked credential, never the key; the start time, which batching does not move
      expect(l.credential).toMatch(/^sk-…[\w]{4}·[0-9a-f]{4}$/);
      expect(l.start as number).toBeLessThanOrEqual(l.time as number);
      expect(l.start as number).toBeGreaterThan(Date.now() - 60_000);
    }
    // the non-stream answer reports its usage; the fake's stream does not unless asked
    expect(lines[0]).toMatchObject({ tokensIn: expect.any(Number), tokensOut: expect.any(Number) });
    expect(s.logText()).not.toContain('sk-test-client');
    expect(s.logText()).not.toContain('sk-upstream-secret');
  });

  it('names the client: a key of auth.apiKeys with a name (as { key, name } or { value, name }) by it, one without by its masked form, never the key', async () => {
    upstream = await startFakeOpenAI();
    const config = upstreamConfig(upstream.url, { auth: { apiKeys: [{ key: 'sk-client-alice-0001', name: 'alice' }, { value: 'sk-client-bob-0002', name: 'bob' }, 'sk-client-carol-0003'] } });
    sb = await startSwitchboard(config);
    for (const key of ['sk-client-alice-0001', 'sk-client-bob-0002', 'sk-client-carol-0003', 'sk-client-alice-0001']) {
      const res = await fetch(`${sb.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status).toBe(200);
    }
    sb.app.switchboard.accessLog?.flush();
    const clients = sb.logs.filter((l) => l.msg === 'served').map((l) => l.client);
    expect(clients.slice(0, 2)).toEqual(['alice', 'bob']);
    expect(clients[2]).toMatch(/^sk-…0003·[0-9a-f]{4}$/);
    expect(clients[3]).toBe('alice'); // a key seen before keeps its name
    for (const key of ['sk-client-alice-0001', 'sk-client-bob-0002', 'sk-client-carol-0003']) expect(sb.logText()).not.toContain(key);
  });

  it('counts the attempts of a request that was retried on another credential', async () => {
    upstream = await startFakeOpenAI();
    const config = upstreamConfig(upstream.url);
    Object.assign((config.providers as Record<string, unknown>[])[0], { apiKey: undefined, credentials: ['sk-upstream-one-aaaa1111', 'sk-upstream-two-bbbb2222'], retry: { attempts: 2, initialDelayMs: 1 } });
    sb = await startSwitchboard(config);
    upstream.script({ kind: 'status', status: 500, body: { error: { message: 'boom', type: 'server_error' } } });
    const res = await fetch(`${sb.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-test-client', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(200);
    sb.app.switchboard.accessLog?.flush();
    const [line] = sb.logs.filter((l) => l.msg === 'served');
    expect(line.attempts).toBe(2);
    expect(line.credential).toMatch(/…(1111|2222)·/);
  });

  it('embeddings requests get a line too, with their route and the tokens the upstream counted', async () => {
    upstream = await startFakeOpenAI();
    sb = await startSwitchboard(upstreamConfig(upstream.url, { models: { 'text-embedding-3-small': 'up/text-embedding-3-small' } }));
    const res = await fetch(`${sb.baseURL}/embeddings`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-test-client', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'text-embedding-3-small', input: 'hello there' }),
    });
    expect(res.status).toBe(200);
    sb.app.switchboard.accessLog?.flush();
    const [line] = sb.logs.filter((l) => l.msg === 'served');
    expect(line).toMatchObject({ route: '/v1/embeddings', status: 200, model: 'text-embedding-3-small', provider: 'up', stream: false, attempts: 1, tokensIn: expect.any(Number) });
    expect(sb.logText()).not.toContain('sk-upstream-secret');
  });

  it('writes any model name as valid JSON: quotes, backslashes, control characters, emoji, U+2028 and a lone surrogate', async () => {
    upstream = await startFakeOpenAI();
    sb = await startSwitchboard(upstreamConfig(upstream.url));
    const names = ['plain-model', 'we"ird', 'back\\slash', 'new\nline\ttab\u0001', 'emoji 😀', 'sep\u2028arator', 'lone \ud800 surrogate'];
    for (const model of names) {
      const res = await fetch(`${sb.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer sk-test-client', 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status).toBe(404); // no such model: a failed line, with the name as asked
    }
    sb.app.switchboard.accessLog?.flush();
    await expect.poll(() => sb!.logs.filter((l) => l.msg === 'failed').length).toBe(names.length);
    expect(sb.logs.filter((l) => l.msg === 'failed').map((l) => l.model)).toEqual(names);
  });

  it('batches lines and writes them out within a second', async () => {
    const s = await serve();
    expect(s.logs.filter((l) => l.msg === 'served')).toHaveLength(0);
    await expect.poll(() => s.logs.filter((l) => l.msg === 'served').length, { timeout: 2000 }).toBe(2);
  });

  it('is off with server.accessLog: false', async () => {
    const s = await serve({ server: { accessLog: false } });
    expect(s.app.switchboard.accessLog).toBeUndefined();
    await s.close();
    sb = undefined;
    expect(s.logs.filter((l) => l.msg === 'served')).toHaveLength(0);
  });
});
