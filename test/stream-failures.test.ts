/**
 * Upstreams that break mid-answer: malformed SSE, cuts, silence, and clients that leave.
 */
import http from 'node:http';
import net from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultReply, splitForStream, startFakeOpenAI, type FakeOpenAI } from './fakes/openai-upstream.js';
import { startSwitchboard, upstreamConfig, type RunningSwitchboard } from './helpers/switchboard.js';

let upstream: FakeOpenAI;
let sb: RunningSwitchboard;
let client: OpenAI;

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  const config = upstreamConfig(upstream.url);
  (config.providers as { timeouts: object }[])[0].timeouts = { firstByteMs: 1000, idleMs: 500, totalMs: 10000 };
  sb = await startSwitchboard(config);
  client = new OpenAI({ baseURL: sb.baseURL, apiKey: 'sk-test-client', maxRetries: 0 });
});
afterAll(async () => {
  await sb?.close();
  await upstream?.close();
});

const body = (extra: object = {}) => JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true, ...extra });

/** POST a streaming request and return the raw SSE events. */
async function rawStream(): Promise<{ status: number; events: string[] }> {
  const res = await fetch(`${sb.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { authorization: 'Bearer sk-test-client', 'content-type': 'application/json' },
    body: body(),
  });
  const text = await res.text();
  return { status: res.status, events: text.split('\n\n').filter(Boolean) };
}

const chunk = (content: string, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta: { content }, finish_reason: finish }] })}\n\n`;

describe('malformed SSE from the upstream', () => {
  it('before the first chunk: a clean 502, nothing streamed', async () => {
    upstream.script({ kind: 'raw', contentType: 'text/event-stream', pieces: ['data: <html>not json</html>\n\n'] });
    const r = await rawStream();
    expect(r.status).toBe(502);
    expect(JSON.parse(r.events[0]).error.code).toBe('bad_upstream_response');
  });

  it('after the first chunk: an error event ends the stream, and no [DONE]', async () => {
    upstream.script({ kind: 'raw', contentType: 'text/event-stream', pieces: [chunk('Hel'), chunk('lo'), 'data: {"id": "c1", "choi\n\n', chunk('', 'stop'), 'data: [DONE]\n\n'] });
    const r = await rawStream();
    expect(r.status).toBe(200);
    expect(r.events.at(-1)).not.toBe('data: [DONE]');
    const last = JSON.parse(r.events.at(-1)!.replace(/^data: /, ''));
    expect(last.error.code).toBe('bad_upstream_response');
    // what came before the failure was delivered intact
    const contents = r.events.slice(0, -1).map((e) => JSON.parse(e.slice(6)).choices[0].delta.content ?? '');
    expect(contents.join('')).toBe('Hello');
  });

  it('the SDK surfaces a mid-stream error instead of a silently short answer', async () => {
    upstream.script({ kind: 'cut-after', chunks: 3 });
    const messages = [{ role: 'user' as const, content: 'hi' }];
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    let text = '';
    const err = await (async () => {
      for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    // the fake sent the role chunk and two pieces before the cut: both pieces arrived
    expect(text).toBe(splitForStream(defaultReply({ messages })).slice(0, 2).join(''));
  });

  it('a stream that ends without [DONE] or finish_reason is reported as cut short', async () => {
    upstream.script({ kind: 'raw', contentType: 'text/event-stream', pieces: [chunk('partial')] });
    const r = await rawStream();
    expect(JSON.parse(r.events.at(-1)!.slice(6)).error.code).toBe('bad_upstream_response');
  });

  it('an upstream that forgets [DONE] after finish_reason is still a complete answer', async () => {
    upstream.script({ kind: 'raw', contentType: 'text/event-stream', pieces: [chunk('all'), chunk(' done', 'stop')] });
    const r = await rawStream();
    expect(r.events.at(-1)).toBe('data: [DONE]');
  });

  it('comments, CRLF framing and split frames are re-emitted clean', async () => {
    const frames = `: hello\r\n\r\n${chunk('A').replace(/\n/g, '\r\n')}${chunk('B', 'stop')}data: [DONE]\r\n\r\n`;
    const pieces = frames.match(/[\s\S]{1,7}/g)!;
    upstream.script({ kind: 'raw', contentType: 'text/event-stream', pieces });
    const r = await rawStream();
    expect(r.events.every((e) => e.startsWith('data: ') && !e.includes('\r'))).toBe(true);
    expect(r.events.slice(0, -1).map((e) => JSON.parse(e.slice(6)).choices[0].delta.content).join('')).toBe('AB');
  });

  it('an in-band {"error":...} event becomes an error event with its message', async () => {
    upstream.script({
      kind: 'raw',
      contentType: 'text/event-stream',
      pieces: [chunk('x'), `data: ${JSON.stringify({ error: { message: 'overloaded right now', type: 'server_error' } })}\n\n`],
    });
    const r = await rawStream();
    const last = JSON.parse(r.events.at(-1)!.slice(6));
    expect(last.error.message).toContain('overloaded right now');
  });
});

describe('timeouts mid-stream', () => {
  it('an upstream that goes silent after the first chunk is cut at the idle timeout', async () => {
    upstream.script({ kind: 'stall-after-first' });
    const started = Date.now();
    const r = await rawStream();
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(3000);
    expect(JSON.parse(r.events.at(-1)!.slice(6)).error.code).toBe('upstream_timeout');
    // the upstream's connection was released, not left hanging
    await expect.poll(() => upstream.requests.at(-1)!.closedAt, { timeout: 1000 }).toBeDefined();
  });
});

describe('client disconnects', () => {
  function abortAfterHeaders(payload: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const req = http.request(`${sb.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer sk-test-client', 'content-type': 'application/json' },
      });
      req.on('response', (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => resolve());
      req.end(payload);
      setTimeout(() => reject(new Error('no response')), 3000);
    });
  }

  it('mid-stream: the upstream request is aborted within 1 s', async () => {
    upstream.script({ kind: 'stall-after-first' });
    await abortAfterHeaders(body());
    const aborted = Date.now();
    const rec = upstream.requests.at(-1)!;
    await expect.poll(() => rec.closedAt, { timeout: 1000, interval: 20 }).toBeDefined();
    expect(rec.closedAt! - aborted).toBeLessThan(1000);
  });

  it('while waiting for the first byte: the upstream request is aborted within 1 s', async () => {
    upstream.script({ kind: 'hang' });
    const before = upstream.requests.length;
    const req = http.request(`${sb.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-test-client', 'content-type': 'application/json' },
    });
    req.on('error', () => undefined);
    req.end(body({ stream: false }));
    await expect.poll(() => upstream.requests.length, { timeout: 1000 }).toBe(before + 1);
    req.destroy();
    const aborted = Date.now();
    const rec = upstream.requests.at(-1)!;
    await expect.poll(() => rec.closedAt, { timeout: 1000, interval: 20 }).toBeDefined();
    expect(rec.closedAt! - aborted).toBeLessThan(1000);
  });

  it('regression: a client that leaves before the first byte is an info line, not an "unhandled error" with a stack', async () => {
    const from = sb.logs.length;
    const chats = () => upstream.requests.filter((r) => r.path === '/v1/chat/completions');
    for (const stream of [true, false]) {
      upstream.script({ kind: 'hang' });
      const before = chats().length;
      const req = http.request(`${sb.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer sk-test-client', 'content-type': 'application/json' },
      });
      req.on('error', () => undefined);
      req.end(body({ stream }));
      await expect.poll(() => chats().length, { timeout: 1000 }).toBe(before + 1);
      req.destroy();
      const rec = chats().at(-1)!;
      await expect.poll(() => rec.closedAt, { timeout: 1000, interval: 20 }).toBeDefined();
    }
    const left = () => sb.logs.slice(from).filter((l) => l.msg === 'client disconnected before the answer');
    await expect.poll(() => left().length, { timeout: 1000, interval: 20 }).toBe(2);
    expect(left().every((l) => l.level === 30)).toBe(true);
    expect(sb.logs.slice(from).filter((l) => l.level >= 50)).toEqual([]);
    // and the credential was not blamed: the next request is served
    const ok = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'still there?' }] });
    expect(ok.choices[0].message.content).toBeTruthy();
  });
});

describe('pipelined requests on one socket', () => {
  it('closing the socket aborts both upstream calls', async () => {
    upstream.script({ kind: 'hang' }, { kind: 'hang' });
    const before = upstream.requests.length;
    const payload = body({ stream: false });
    const one = `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-test-client\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`;
    const { port } = new URL(sb.baseURL);
    const socket = net.connect(Number(port), '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write(one + one);
    await expect.poll(() => upstream.requests.length, { timeout: 1000 }).toBe(before + 2);
    socket.destroy();
    const [a, b] = upstream.requests.slice(-2);
    await expect.poll(() => Boolean(a.closedAt && b.closedAt), { timeout: 1000, interval: 20 }).toBe(true);
  });
});

describe('a broken first chunk', () => {
  it('that only looks like JSON is caught before anything is sent: a clean 502', async () => {
    upstream.script({ kind: 'raw', contentType: 'text/event-stream', pieces: ['data: {"id": "c1", "choices": [oops]}\n\n', 'data: [DONE]\n\n'] });
    const r = await rawStream();
    expect(r.status).toBe(502);
    expect(JSON.parse(r.events[0]).error.code).toBe('bad_upstream_response');
  });
});
