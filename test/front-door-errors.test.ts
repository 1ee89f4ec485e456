/**
 * Answers the HTTP layer gives before any route runs (a URL it cannot decode, a parameter too
 * long, headers too large, a body cut short, broken framing) are OpenAI envelopes too, on /v1 and
 * everywhere else; `/v1/string` answers its errors as plain text. Sent over raw sockets, since no
 * well-behaved client produces them.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from './fakes/openai-upstream.js';
import { startSwitchboard, upstreamConfig, type RunningSwitchboard } from './helpers/switchboard.js';

let upstream: FakeOpenAI;
let sb: RunningSwitchboard;

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  sb = await startSwitchboard(upstreamConfig(upstream.url, { plugins: { 'string-endpoint': { model: 'gpt-4o-mini' } } }));
});
afterAll(async () => {
  await sb?.close();
  await upstream?.close();
});

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Write `pieces` to a fresh connection (then half-close it, with `end`) and read the answer until the server closes. */
function raw(pieces: (string | Buffer)[], opts: { end?: boolean } = {}): Promise<RawAnswer> {
  const { port } = new URL(sb.origin);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1');
    const got: Buffer[] = [];
    socket.on('data', (b) => got.push(b));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(got).toString('utf8');
      const [head, ...rest] = text.split('\r\n\r\n');
      const [statusLine, ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    });
    socket.on('connect', () => {
      for (const p of pieces) socket.write(p);
      if (opts.end) socket.end();
    });
  });
}

const AUTH = 'Authorization: Bearer sk-test-client\r\n';
const get = (path: string, extra = '') => raw([`GET ${path} HTTP/1.1\r\nHost: x\r\n${AUTH}${extra}Connection: close\r\n\r\n`]);

function expectEnvelope(a: RawAnswer, status: number, code: string | null) {
  expect(a.status).toBe(status);
  expect(a.headers['content-type']).toMatch(/^application\/json/);
  const body = JSON.parse(a.body) as { error: Record<string, unknown> };
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  return body.error;
}

describe('errors before a route runs are OpenAI envelopes', () => {
  it('regression: bad percent-encoding in the path (FST_ERR_BAD_URL) is a 400 envelope', async () => {
    const e = expectEnvelope(await get('/v1/models/%zz'), 400, 'invalid_url');
    expect(e.type).toBe('invalid_request_error');
  });

  it('regression: headers too large are a 431 envelope', async () => {
    const a = await get('/v1/models', `X-Big: ${'a'.repeat(20_000)}\r\n`);
    const e = expectEnvelope(a, 431, 'headers_too_large');
    expect(e.type).toBe('invalid_request_error');
  });

  it('regression: a body shorter than its Content-Length is a 400 envelope', async () => {
    const body = '{"model":"gpt-4o-mini"';
    const a = await raw([`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n${AUTH}Content-Type: application/json\r\nContent-Length: ${body.length + 50}\r\n\r\n${body}`], { end: true });
    expectEnvelope(a, 400, 'invalid_json');
  });

  it('regression: broken HTTP framing is a 400 envelope', async () => {
    const a = await raw([`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n`]);
    expectEnvelope(a, 400, 'bad_request');
  });

  it('regression: an over-long path parameter is a 414 envelope', async () => {
    const e = expectEnvelope(await get(`/v1/files/image/${'a'.repeat(5000)}`), 414, 'url_too_long');
    expect(e.type).toBe('invalid_request_error');
  });

  it('regression: provider/model ids with slashes and long image ids are never cut (maxParamLength)', async () => {
    const long = `up/${'m'.repeat(150)}/with/slashes`;
    const a = await get(`/v1/models/${encodeURIComponent(long)}`);
    const e = expectEnvelope(a, 404, 'model_not_found');
    expect(String(e.message)).toContain(long);
    const id = 'f'.repeat(200);
    const img = expectEnvelope(await get(`/v1/files/image/${id}`), 404, 'file_not_found');
    expect(String(img.message)).toContain(id);
  });
});

describe('/v1/string answers its front-door errors as plain text', () => {
  it('regression: a body shorter than its Content-Length', async () => {
    const a = await raw([`POST /v1/string HTTP/1.1\r\nHost: x\r\n${AUTH}Content-Type: text/plain\r\nContent-Length: 40\r\n\r\nhello`], { end: true });
    expect(a.status).toBe(400);
    expect(a.headers['content-type']).toMatch(/^text\/plain/);
    expect(a.body).toContain('Content-Length');
  });

  it('regression: headers too large', async () => {
    const a = await get('/v1/string?q=hi', `X-Big: ${'a'.repeat(20_000)}\r\n`);
    expect(a.status).toBe(431);
    expect(a.headers['content-type']).toMatch(/^text\/plain/);
    expect(a.body).toMatch(/headers/i);
  });
});
